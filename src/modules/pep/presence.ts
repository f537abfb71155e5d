/**
 * What PEP learns from presence: a contact's resource that becomes
 * available to the account (or changes its caps) is remembered as a
 * notification recipient and gets the last published items; an own session
 * gets them when it becomes available. Work that may ask a client for its
 * caps runs in the background, after the presence has been handled, because
 * that client's answer queues behind the presence being processed.
 *
 * References: XEP-0163 §4.1 (presence sharing), §4.3.3 (when to generate
 * notifications), §4.3.4 (sending the last published item); XEP-0115 §4.
 */
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Session } from '../../core/session/session.js';
import type { Logger } from '../../core/log.js';
import type { RosterApi } from '../roster/index.js';
import { OWNER } from '../pubsub/index.js';
import { sendLastItems } from './last-items.js';
import { capsOf } from './recipients.js';
import { requesterFor } from './relation.js';
import type { PepService } from './service.js';
import type { RecipientTracker } from './recipients.js';

declare module '../../core/session/session.js' {
  interface SessionState {
    /** The caps (hash and ver) the session last got its PEP last items for. */
    pepCapsSeen?: string;
  }
}

export interface PresenceContext {
  service: PepService;
  tracker: RecipientTracker;
  roster: RosterApi;
  log: Logger;
}

/** A negative priority means "do not send me stanzas for my bare JID" (XEP-0163 §4.3.2). */
function priorityOf(stanza: StanzaEvent['stanza']): number {
  const text = stanza.getChildText('priority')?.trim();
  return text && /^[+-]?\d+$/.test(text) ? Number(text) : 0;
}

function background(ctx: PresenceContext, task: Promise<void>): void {
  task.catch((err: unknown) => ctx.log.error({ err }, 'sending last PEP items failed'));
}

/** A presence from a contact's resource to the account's bare JID. */
export async function onContactPresence(ctx: PresenceContext, { stanza, from, to, host }: StanzaEvent): Promise<void> {
  const owner = to.local!;
  if (from.resource === undefined || (from.local === owner && from.domain === host.name)) return;
  const type = stanza.attrs.type;
  if (type === 'unavailable' || type === 'error') return ctx.tracker.remove(owner, from.toString());
  if (type !== undefined) return;
  if (priorityOf(stanza) < 0) return ctx.tracker.remove(owner, from.toString());
  // Only roster contacts are tracked: that bounds the map and matches who may be notified.
  const requester = await requesterFor(ctx.roster, host.name, owner, from);
  if (requester.subscription === 'none') return;
  const caps = capsOf(stanza);
  if (!ctx.tracker.update(owner, from.toString(), caps)) return;
  const ownerJid = { username: owner, bare: to.bareString() };
  background(ctx, sendLastItems(ctx.service.store, ctx.service.notifier, ownerJid, from.toString(), caps, requester));
}

/** A session's own broadcast presence (no `to`). */
export function onOwnPresence(ctx: PresenceContext, { stanza, origin }: StanzaEvent): void {
  if (!origin?.jid) return;
  // Coming back after being unavailable is a new "newly available" moment.
  if (stanza.attrs.type === 'unavailable') delete origin.state.pepCapsSeen;
  if (stanza.attrs.type !== undefined) return;
  const caps = origin.state.caps;
  if (!caps || priorityOf(stanza) < 0) return;
  const seen = `${caps.hash}:${caps.ver}`;
  if (origin.state.pepCapsSeen === seen) return;
  origin.state.pepCapsSeen = seen;
  const owner = { username: origin.username!, bare: origin.jid.bareString() };
  background(ctx, sendLastItems(ctx.service.store, ctx.service.notifier, owner, origin.jid.toString(), caps, OWNER));
}

/** The account's last session ended: its contacts are probed again at the next login. */
export function onSessionEnded(ctx: PresenceContext, session: Session): void {
  const owner = session.username;
  if (owner && session.host && session.host.sessions.ofUser(owner).length === 0) ctx.tracker.forget(owner);
}
