/**
 * What the server caches of a room per membership, so a later session can be
 * answered without asking the room: every occupant's latest presence by
 * nick, the account's own self-presence, the subject message, how many
 * history messages the room gives by default, and the last ones archived.
 *
 * References: XEP-0045 §7.2.3 (occupant presences), §7.2.15 (history),
 * §7.2.16 (subject); account-rooms spec, "Words" (room view).
 */
import type { Element } from '../../core/xml/element.js';
import { RecentHistory } from './recent-history.js';

/** XEP-0045 §7.2.15 leaves the default to the room; 20 is what services commonly send. */
export const DEFAULT_HISTORY_STANZAS = 20;

export class RoomView {
  /** Other occupants' presences, latest per nick, in arrival order. */
  readonly occupants = new Map<string, Element>();
  /** The account's own presence as the room last sent it (with status 110). */
  self?: Element;
  /** The last message that set the subject. */
  subject?: Element;
  historyStanzas = DEFAULT_HISTORY_STANZAS;
  /** The last archived room messages, for later sessions' history (recent-history.ts). */
  readonly recent = new RecentHistory(DEFAULT_HISTORY_STANZAS);

  /** Applies an occupant presence; returns false when it changes nothing the view holds. */
  applyOccupant(nick: string, presence: Element): boolean {
    if (presence.attrs.type === 'unavailable') return this.occupants.delete(nick);
    const before = this.occupants.get(nick);
    this.occupants.delete(nick);
    this.occupants.set(nick, presence);
    return before === undefined || before.toString() !== presence.toString();
  }

  clear(): void {
    this.occupants.clear();
    this.self = undefined;
  }
}
