/**
 * IQ delivery to client sessions and server-side requests to them.
 *
 * An IQ to a full JID goes to that session or, for get/set, bounces with
 * `service-unavailable` (RFC 6121 §8.5.3.2.2 and §8.5.4); results and errors
 * to a gone session are dropped. Anything else unhandled gets
 * `service-unavailable` from the router.
 *
 * References: RFC 6120 §8.2.3; RFC 6121 §8.5.
 */
import { defineModule } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';

export default defineModule({
  name: 'iq',
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
