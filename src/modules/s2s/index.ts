/**
 * Federation: server-to-server streams. Stanzas for domains this server
 * does not serve (`route/remote`, from user hosts and component hosts
 * alike) go to the server-wide service (`service.ts`), which resolves the
 * peer, connects, secures and authenticates the stream, and queues until
 * then; stanzas from peers enter the router through the same destination
 * events as local ones (`incoming-stream.ts`). The listeners themselves are
 * opened by `modules/listeners.ts`.
 *
 * References: RFC 6120 (§4 streams, §5 STARTTLS, §6 SASL, §8.3.3 remote
 * errors, §13.7 certificates); XEP-0220 (Server Dialback) with XEP-0185
 * keys; XEP-0178 (SASL EXTERNAL); XEP-0344 (dialback over TLS,
 * multiplexing); XEP-0368 (direct TLS).
 */
import './events.js';
import { defineModule } from '../../core/module/define-module.js';
import { s2sService, type S2sService } from './service.js';
import { parseRoute } from './resolve.js';
import type { IncomingInfo, OutgoingInfo } from './link-types.js';

export type { S2sAuthMethod, S2sLinkEvent, S2sUndeliverableEvent } from './events.js';

/** What other modules, operators and tests may do with federation. */
export interface S2sApi {
  /** Pins `domain` to `host:port` or `xmpps://host:port` (undefined removes the pin); used before DNS. */
  setRoute(domain: string, target: string | undefined): void;
  /** Outgoing links and the local domains authenticated on each, with the method. */
  outgoing(): OutgoingInfo[];
  /** Incoming streams and the peer domains authenticated on each, with the method. */
  incoming(): IncomingInfo[];
  /** Drops every connection with `remoteDomain` without closing the streams (a cut); returns how many. */
  cut(remoteDomain: string): number;
  /** Forgets remembered connection failures, so the next stanza tries again at once. */
  forgetFailures(): void;
}

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    s2s: S2sApi;
  }
}

function createApi(service: S2sService): S2sApi {
  return {
    setRoute(domain, target) {
      const key = domain.toLowerCase();
      if (target === undefined) return void service.routes.delete(key);
      if (!parseRoute(target)) throw new Error(`PERCH_ERR_S2S_ROUTE: ${target} is not host:port or xmpps://host:port`);
      service.routes.set(key, target);
    },
    outgoing: () => [...service.links.values()].flat().map((link) => link.info()),
    incoming: () => [...service.incoming].map((stream) => stream.info()),
    cut: (remoteDomain) => service.cut(remoteDomain.toLowerCase()),
    forgetFailures: () => service.failures.forget(),
  };
}

export default defineModule({
  name: 's2s',
  async setup(ctx): Promise<S2sApi> {
    const service = s2sService(ctx.server);
    if (ctx.config.s2s.enabled) {
      await service.init();
      service.attachHost();
      ctx.hook('host-stopping', () => service.hostStopping());
    }
    return createApi(service);
  },
  hooks: {
    // Without s2s, the router answers remote-server-not-found itself.
    'route/remote': (event, mod) => (mod.config.s2s.enabled ? s2sService(mod.server).route(event) : undefined),
    'server-started': (_event, mod) => {
      if (mod.config.s2s.enabled) s2sService(mod.server).hookComponents();
    },
  },
});
