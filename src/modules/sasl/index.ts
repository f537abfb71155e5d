/**
 * SASL authentication for client streams: offers the mechanisms allowed now
 * (and, per XEP-0440, the channel-binding types) and runs the exchange.
 *
 * References: RFC 6120 §6; XEP-0440 (SASL channel-binding type capability).
 */
import { defineModule } from '../../core/module/define-module.js';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { offeredMechanisms } from './mechanisms.js';
import { handleAbort, handleAuth, handleResponse } from './negotiation.js';

const SASL_CB = 'urn:xmpp:sasl-cb:0';

export default defineModule({
  name: 'sasl',
  hooks: {
    'stream-features': ({ session, features }) => {
      if (session.authenticated) return;
      features.append(
        x('mechanisms', { xmlns: NS.sasl }, ...offeredMechanisms(session).map((m) => x('mechanism', {}, m.name))),
      );
      const [type] = session.connection.channelBindingTypes();
      if (type) features.append(x('sasl-channel-binding', { xmlns: SASL_CB }, x('channel-binding', { type })));
    },
    'nonza/urn:ietf:params:xml:ns:xmpp-sasl:auth': async ({ session, element }) => {
      await handleAuth(session, element);
      return true;
    },
    'nonza/urn:ietf:params:xml:ns:xmpp-sasl:response': ({ session, element }) => {
      handleResponse(session, element);
      return true;
    },
    'nonza/urn:ietf:params:xml:ns:xmpp-sasl:abort': ({ session }) => {
      handleAbort(session);
      return true;
    },
  },
});
