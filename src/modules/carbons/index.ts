/**
 * Message Carbons (XEP-0280): each session may enable carbons; then it gets
 * a copy of every eligible message the account receives on another session
 * (`<received/>`, after delivery) and of every eligible message another of
 * the account's sessions sends (`<sent/>`, on the sender's host before
 * routing). Eligibility is in eligibility.ts, the copying in copies.ts.
 *
 * Hook priorities: sent copies at 40 on `pre-message/*`, below blocking
 * (100), so a refused send is never copied. `<private/>` is removed from a
 * message arriving for a local account at 60, after blocking and before
 * the archive (50) and delivery (0), as the receiving server SHOULD; the
 * message is remembered as private so no received copy is made. None of
 * these hooks stops an event.
 *
 * References: XEP-0280 §3 (disco feature), §4 (enabling), §5 (disabling),
 * §9 (private: the receiving server removes it), §10.1 (repeated enable or
 * disable is not an error).
 */
import { defineModule, type HookSpec, type ModuleInstance } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { answerIq } from '../../core/router/reply.js';
import type { Element } from '../../core/xml/element.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { NS_CARBONS } from './eligibility.js';
import { RecentMessages } from './recent-messages.js';
import { copyReceived, copySent, type CarbonsContext } from './copies.js';

const SENT_PRIORITY = 40;
const STRIP_PRIORITY = 60;

type Instance = ModuleInstance<{}, CarbonsContext>;

/** Enable or disable for the requesting session; only a local client may do so for itself. */
function toggle(enabled: boolean) {
  return (event: StanzaEvent): true => {
    if (!event.origin) throw new StanzaError('not-allowed');
    event.origin.state.carbons = enabled;
    return answerIq(event);
  };
}

function refuseForeign(): never {
  throw new StanzaError('not-allowed', "cannot change another account's carbons");
}

/** Removes `<private/>` before delivery and remembers the message was private. */
function stripPrivate({ stanza }: StanzaEvent, ctx: CarbonsContext): undefined {
  const marker = stanza.getChildren('private').find((el: Element) => el.attrs.xmlns === NS_CARBONS);
  if (!marker) return undefined;
  ctx.privateOnArrival.add(stanza);
  stanza.children = stanza.children.filter((child) => child !== marker);
  return undefined;
}

const sent: HookSpec<StanzaEvent, Instance> = { priority: SENT_PRIORITY, handler: (event, mod) => copySent(mod.api, event) };
const strip: HookSpec<StanzaEvent, Instance> = { priority: STRIP_PRIORITY, handler: (event, mod) => stripPrivate(event, mod.api) };

export default defineModule({
  name: 'carbons',
  features: [NS_CARBONS],
  setup: (): CarbonsContext => ({ recent: new RecentMessages(), privateOnArrival: new WeakSet() }),
  hooks: {
    'iq-set/self/urn:xmpp:carbons:2:enable': toggle(true),
    'iq-set/self/urn:xmpp:carbons:2:disable': toggle(false),
    'iq-set/bare/urn:xmpp:carbons:2:enable': refuseForeign,
    'iq-set/bare/urn:xmpp:carbons:2:disable': refuseForeign,
    'pre-message/bare': sent,
    'pre-message/full': sent,
    'pre-message/host': sent,
    'message/bare': strip,
    'message/full': strip,
    'message-delivered': (delivered, mod) => copyReceived(mod.api, delivered),
  },
});
