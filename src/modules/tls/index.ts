/**
 * STARTTLS: offers and performs the in-place upgrade of a plaintext TCP
 * stream to TLS.
 *
 * References: RFC 6120 §5.4 (STARTTLS negotiation).
 */
import { defineModule } from '../../core/module/define-module.js';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';

export default defineModule({
  name: 'tls',
  hooks: {
    'stream-features': ({ session, features }) => {
      if (!session.authenticated && session.connection.canStartTls && session.connection.startTls) {
        features.append(x('starttls', { xmlns: NS.tls }));
      }
    },
    'nonza/urn:ietf:params:xml:ns:xmpp-tls:starttls': async ({ session }, mod) => {
      if (session.authenticated || !session.connection.canStartTls || !session.connection.startTls) {
        session.send(x('failure', { xmlns: NS.tls }));
        session.close();
        return true;
      }
      session.send(x('proceed', { xmlns: NS.tls }));
      try {
        await session.startTls();
      } catch (err) {
        mod.log.debug({ err: (err as Error).message }, 'STARTTLS handshake failed');
        session.close();
      }
      return true;
    },
  },
});
