/**
 * Making and sending carbons: a `<received/>` copy to each carbons-enabled
 * session of the recipient account that did not get the message itself,
 * and a `<sent/>` copy to each carbons-enabled session of the sender's
 * account other than the sending one. Copies go straight to the sessions
 * (never through the router), so a copy can neither bounce nor be copied
 * again.
 *
 * References: XEP-0280 §4–5 (per-session enable state), §7 (receiving
 * messages), §8 (sending messages); XEP-0297 (the forwarding wrapper).
 */
import { x, type Element } from '../../core/xml/element.js';
import type { JID } from '../../core/jid/jid.js';
import type { Host } from '../../core/host.js';
import type { Session } from '../../core/session/session.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { MessageDeliveredEvent } from '../message/events.js';
import { NS_CARBONS, NS_FORWARD, carbonEligibility, type Direction } from './eligibility.js';
import type { RecentMessages } from './recent-messages.js';

declare module '../../core/session/session.js' {
  interface SessionState {
    /** The session enabled Message Carbons (XEP-0280 §4). */
    carbons?: boolean;
  }
}

/** What the copying needs to know beyond the stanza. */
export interface CarbonsContext {
  recent: RecentMessages;
  /** Messages whose `<private/>` was removed on arrival (see index.ts). */
  privateOnArrival: WeakSet<Element>;
}

export function enabledSessions(host: Host, username: string): Session[] {
  return host.sessions.ofUser(username).filter((s) => s.state.carbons === true);
}

/** The XEP-0297 wrapper: from the account's bare JID to the copy's session, the original inside. */
export function wrapCarbon(kind: Direction, original: Element, account: JID, target: Session): Element {
  const copy = original.clone();
  // Inside <forwarded/> the message would otherwise inherit urn:xmpp:forward:0.
  copy.attrs.xmlns = 'jabber:client';
  const attrs = { from: account.bareString(), to: target.jid!.toString(), type: original.attrs.type };
  return x('message', attrs, x(kind, { xmlns: NS_CARBONS }, x('forwarded', { xmlns: NS_FORWARD }, copy)));
}

/**
 * Whether `message` is to be copied; remembers eligible messages with an
 * id so a later error answering them is copied too.
 */
function decide(ctx: CarbonsContext, message: Element, direction: Direction, account: string, peer: JID): boolean {
  const verdict = carbonEligibility(message, direction);
  const id = message.attrs.id;
  if (verdict === 'if-answer') return id !== undefined && ctx.recent.answersEligible(account, direction, peer.bareString(), id);
  if (verdict === 'copy' && id !== undefined) ctx.recent.remember(account, direction, peer.bareString(), id);
  return verdict === 'copy';
}

/** `message-delivered` hook: copies to the recipient's other enabled sessions. */
export function copyReceived(ctx: CarbonsContext, { event, sessions }: MessageDeliveredEvent): void {
  const { stanza, from, to, host } = event;
  if (to.local === undefined) return;
  const enabled = enabledSessions(host, to.local);
  if (enabled.length === 0 || ctx.privateOnArrival.has(stanza)) return;
  if (!decide(ctx, stanza, 'received', to.local, from)) return;
  // Sessions that got the original (one, or several at equal priority for a
  // bare JID) need no copy; nor does the session that sent a note to self.
  for (const session of enabled) {
    if (sessions.includes(session) || session.jid!.equals(from)) continue;
    session.send(wrapCarbon('received', stanza, to, session));
  }
}

/** `pre-message/*` hook on the sender's host: copies to the sender's other enabled sessions. */
export function copySent(ctx: CarbonsContext, { origin, stanza, from, to, host }: StanzaEvent): undefined {
  if (!origin || from.local === undefined) return undefined;
  // To the account itself: the received side copies it to the sessions that did not get it.
  if (to.local === from.local && to.domain === from.domain) return undefined;
  const enabled = enabledSessions(host, from.local);
  if (enabled.length === 0) return undefined;
  if (!decide(ctx, stanza, 'sent', from.local, to)) return undefined;
  for (const session of enabled) {
    if (session !== origin) session.send(wrapCarbon('sent', stanza, from, session));
  }
  return undefined;
}
