/**
 * A virtual host: one served domain with its own event bus, bound sessions,
 * loaded modules and disco features. Modules are instantiated per host.
 */
import { EventBus } from './events/event-bus.js';
import { SessionRegistry } from './session/session-registry.js';
import { StreamError } from './errors/stream-error.js';
import type { Element } from './xml/element.js';
import type { JID } from './jid/jid.js';
import type { Session } from './session/session.js';
import type { Server } from './server.js';

export interface DiscoIdentity {
  category: string;
  type: string;
  name?: string;
}

export class Host {
  readonly bus = new EventBus();
  readonly sessions = new SessionRegistry();
  /** Disco#info features of the host, filled from module manifests. */
  readonly features = new Set<string>();
  readonly identities: DiscoIdentity[] = [{ category: 'server', type: 'im', name: 'Perch' }];
  /** Exports of loaded modules by name (see module/loader.ts). */
  readonly modules = new Map<string, unknown>();

  constructor(
    readonly name: string,
    readonly server: Server,
    /** False for a component host (a MUC service): clients cannot open streams to it. */
    readonly acceptsClients = true,
  ) {}

  get log() {
    return this.server.log;
  }

  get config() {
    return this.server.config;
  }

  /** Routes a server-made stanza (see Router.route). */
  route(stanza: Element, origin?: Session): Promise<void> {
    return this.server.router.route(stanza, origin);
  }

  /**
   * Makes a session routable under `jid`. A session already bound to the
   * same full JID is replaced and gets a `conflict` stream error
   * (RFC 6120 §7.7.2.2, the "override" policy clients expect).
   */
  async bind(session: Session, jid: JID): Promise<void> {
    const username = jid.local!;
    const resource = jid.resource!;
    const previous = this.sessions.get(username, resource);
    if (previous) previous.close(new StreamError('conflict', 'replaced by a new session'));
    session.markBound(jid);
    this.sessions.add(username, resource, session);
    await this.bus.fire('resource-bind', { session });
  }

  /** Called by the session when a bound stream ends. */
  unbind(session: Session, error?: StreamError): void {
    const jid = session.jid!;
    if (!this.sessions.remove(jid.local!, jid.resource!, session)) return;
    this.bus.fire('resource-unbind', { session, error }).catch((err) => {
      this.log.error({ err }, 'resource-unbind handler failed');
    });
  }
}
