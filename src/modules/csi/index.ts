/**
 * Client state indication (XEP-0352): after `<inactive/>` a session's
 * unimportant traffic is held and its presence updates coalesced until
 * `<active/>` (held-stanzas.ts decides what waits). A resumed stream
 * starts active again.
 *
 * References: XEP-0352 §3.1 (stream feature), §3.2 (indicating state),
 * §4 (a stream begins active).
 */
import '../stream-management/events.js';
import { defineModule } from '../../core/module/define-module.js';
import { x } from '../../core/xml/element.js';
import type { NonzaEvent } from '../../core/events/event-map.js';
import { becomeActive, becomeInactive } from './held-stanzas.js';

export const CSI = 'urn:xmpp:csi:0';

/** State only matters once the session can receive stanzas; earlier it is ignored. */
function indicate(change: typeof becomeActive) {
  return ({ session }: NonzaEvent): true => {
    if (session.bound) change(session);
    return true;
  };
}

export default defineModule({
  name: 'csi',
  hooks: {
    'stream-features': ({ session, features }) => {
      if (session.authenticated && !session.bound) features.append(x('csi', { xmlns: CSI }));
    },
    [`nonza/${CSI}:active`]: indicate(becomeActive),
    [`nonza/${CSI}:inactive`]: indicate(becomeInactive),
    'stream-resumed': ({ session }) => becomeActive(session),
  },
});
