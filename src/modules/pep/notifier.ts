/**
 * Who gets an account's event notifications, and sending them: the
 * account's own available resources and its contacts' available resources,
 * each only if the node's access model lets it read and its caps advertise
 * `<node>+notify`. Notifications are headline messages from the account's
 * bare JID to full JIDs; they are computed and sent after the request that
 * caused them has been answered, since learning a client's caps may mean
 * asking that very client.
 *
 * Contacts the account blocked get nothing (when the blocking module is
 * loaded; PEP does not depend on it).
 *
 * References: XEP-0163 §4 (receiving event notifications), §4.3.1
 * (addressing: from the bare JID, to full JIDs), §4.3.2 (number of
 * notifications: available resources with non-negative priority and
 * matching caps), §4.3.3 item 3 (never to blocked entities), §4.2
 * (filtered notifications); XEP-0115 §2; XEP-0191.
 */
import { randomBytes } from 'node:crypto';
import { x, type Element } from '../../core/xml/element.js';
import { tryParseJid } from '../../core/jid/jid.js';
import type { Host } from '../../core/host.js';
import type { Logger } from '../../core/log.js';
import type { CapsApi } from '../caps/index.js';
import type { Caps } from '../caps/feature-cache.js';
import type { RosterApi } from '../roster/index.js';
import type { BlockingApi } from '../blocking/index.js';
import { mayRead, OWNER, STRANGER, type NodeConfig, type Requester } from '../pubsub/index.js';
import type { RecipientTracker } from './recipients.js';

export interface Recipient {
  jid: string;
  caps?: Caps;
  requester: Requester;
}

export class Notifier {
  constructor(
    private readonly host: Host,
    private readonly caps: CapsApi,
    private readonly roster: RosterApi,
    private readonly tracker: RecipientTracker,
    private readonly log: Logger,
  ) {}

  /** Sends `event` to everyone interested in `node` who may read it; never throws. */
  broadcast(owner: string, node: string, config: NodeConfig, event: Element): void {
    if (!config.deliver_notifications) return;
    this.interested(owner, node, config)
      .then((jids) => {
        for (const jid of jids) this.send(owner, jid, config, event);
      })
      .catch((err: unknown) => this.log.error({ err, owner, node }, 'PEP notification failed'));
  }

  async interested(owner: string, node: string, config: NodeConfig): Promise<string[]> {
    const candidates = (await this.candidates(owner)).filter((c) => mayRead(config, c.requester));
    const wanted = await Promise.all(
      candidates.map(async (c) => ((await this.wants(c.jid, c.caps, node, c.requester.isOwner ? undefined : owner)) ? c.jid : undefined)),
    );
    return wanted.filter((jid): jid is string => jid !== undefined);
  }

  /** Whether the client at `jid` asked for notifications of `node` in its caps (and is not blocked by the owner). */
  async wants(jid: string, caps: Caps | undefined, node: string, owner?: string): Promise<boolean> {
    if (!caps) return false;
    if (owner !== undefined && (await this.blockedBy(owner, jid))) return false;
    const features = await this.caps.features(jid, caps);
    return features?.has(`${node}+notify`) ?? false;
  }

  /** One headline notification from the account's bare JID (with optional extra children, e.g. a delay stamp). */
  send(owner: string, to: string, config: NodeConfig, event: Element, extra?: Element): void {
    const target = tryParseJid(to);
    if (!target) return;
    // A local resource that went away would otherwise get the message
    // redirected to its account's other resources, which did not ask for it.
    if (target.domain === this.host.name && !this.host.sessions.get(target.local ?? '', target.resource ?? '')) {
      this.tracker.remove(owner, to);
      return;
    }
    const id = `pep-${randomBytes(9).toString('base64url')}`;
    const from = `${owner}@${this.host.name}`;
    const message = x('message', { from, to, type: config.notification_type, id }, event.clone(), extra);
    this.host.route(message).catch((err: unknown) => this.log.error({ err, to }, 'PEP notification not routed'));
  }

  private async blockedBy(owner: string, jid: string): Promise<boolean> {
    const blocking = this.host.modules.get('blocking') as BlockingApi | undefined;
    const target = tryParseJid(jid);
    return blocking !== undefined && target !== undefined && (await blocking.isBlocked(owner, target));
  }

  /** The account's available resources and the contacts' resources it knows, with their relation. */
  private async candidates(owner: string): Promise<Recipient[]> {
    const own: Recipient[] = this.host.sessions
      .ofUser(owner)
      .filter((s) => s.presence !== undefined && s.priority >= 0)
      .map((s) => ({ jid: s.jid!.toString(), caps: s.state.caps, requester: OWNER }));
    const contacts = this.tracker.resources(owner);
    if (contacts.length === 0) return own;
    const { items } = await this.roster.get(owner);
    for (const [jid, caps] of contacts) {
      const bare = tryParseJid(jid)?.bareString() ?? jid;
      const item = items[bare];
      const requester = item ? { isOwner: false, subscription: item.subscription, groups: item.groups } : STRANGER;
      own.push({ jid, caps, requester });
    }
    return own;
  }
}
