/**
 * In-band registration (XEP-0077). With `registration.enabled`, streams are
 * offered the iq-register feature before authentication and may create one
 * account; otherwise such requests get `service-unavailable` and the stream
 * stays open. Once authenticated, a user can always see what is on file,
 * change the password and remove the account.
 *
 * References: XEP-0077 §3 (use cases), §8 (stream feature), §10 (security).
 */
import { defineModule } from '../../core/module/define-module.js';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { handleUnauthenticatedRegister, registrationOpen } from './account-creation.js';
import { handleRegisteredGet, handleRegisteredSet } from './account-management.js';

export default defineModule({
  name: 'register',
  features: [NS.register],
  hooks: {
    'stream-features': ({ session, features }) => {
      if (!session.authenticated && registrationOpen(session)) features.append(x('register', { xmlns: NS.registerFeature }));
    },
    'unauthenticated-iq/jabber:iq:register:query': async ({ session, element }) => {
      await handleUnauthenticatedRegister(session, element);
      return true;
    },
    'iq-get/self/jabber:iq:register:query': handleRegisteredGet,
    'iq-get/host/jabber:iq:register:query': handleRegisteredGet,
    'iq-set/self/jabber:iq:register:query': handleRegisteredSet,
    'iq-set/host/jabber:iq:register:query': handleRegisteredSet,
  },
});
