/**
 * IQ delivery to client sessions and server-side requests to them.
 *
 * An IQ to a full JID goes to that session or, for get/set, bounces with
 * `service-unavailable` (RFC 6121 §8.5.3.2.2 and §8.5.4); results and errors
 * to a gone session are dropped. Anything else unhandled gets
 * `service-unavailable` from the router.
 *
 * Modules ask clients things through the exported `request` (the caps
 * module's disco#info queries): the answer comes back addressed to the host
 * (or a full JID it was sent from) and is taken here before anything else sees it.
 *
 * References: RFC 6120 §8.2.3; RFC 6121 §8.5.
 */
import { defineModule } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { Element } from '../../core/xml/element.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { IqRequestTracker } from './request-tracker.js';

export { IqTimeoutError, DEFAULT_IQ_TIMEOUT_MS } from './request-tracker.js';

export interface IqApi {
  /**
   * Sends an IQ get/set (with `to`, and `from` defaulting to the host) and
   * resolves with the `result` or `error` stanza that answers it; rejects
   * with IqTimeoutError after `timeoutMs`.
   */
  request(stanza: Element, timeoutMs?: number): Promise<Element>;
}

declare module '../../core/module/define-module.js' {
  interface ModuleExports {
    iq: IqApi;
  }
}

/** Above the modules that handle IQs addressed to accounts; only answers to our requests stop here. */
const ANSWER_PRIORITY = 100;

export default defineModule({
  name: 'iq',
  setup(ctx) {
    const tracker = new IqRequestTracker((stanza) => ctx.host.route(stanza));
    const take = ({ stanza }: StanzaEvent) => tracker.handleAnswer(stanza) || undefined;
    // Requests may be sent from a full JID too (account rooms occupying a room from user@host/<resource>).
    for (const event of ['iq/host', 'iq/bare', 'iq/self', 'iq/full'] as const) ctx.hook(event, take, ANSWER_PRIORITY);
    ctx.hook('host-stopping', () => tracker.clear());
    const api: IqApi = {
      request(stanza, timeoutMs) {
        stanza.attrs.from ??= ctx.host.name;
        return tracker.request(stanza, timeoutMs);
      },
    };
    return api;
  },
  hooks: {
    'iq/full': ({ stanza, to, host }) => {
      const session = host.sessions.get(to.local!, to.resource!);
      if (session) {
        session.send(stanza);
        return true;
      }
      const type = stanza.attrs.type;
      if (type === 'get' || type === 'set') throw new StanzaError('service-unavailable');
      return true;
    },
  },
});
