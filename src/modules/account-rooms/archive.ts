/**
 * Room messages in the account's archive: each stored once (the room's
 * stanza-id is the external id, so the same message arriving live, from
 * history and from a gap fill is one item), with the archive's own
 * stanza-id on the copies sessions get, so one archive query returns the
 * account's one-to-one and room history.
 *
 * References: account-rooms spec, "Traffic from the room" (groupchat);
 * XEP-0313 §3.5 (stanza-id by the archive), §5.1.1; XEP-0359 §3 (the room's
 * stanza-id, `by` the room); XEP-0203 (delay).
 */
import { Element, x, type XmlNode } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { tryParseJid } from '../../core/jid/jid.js';
import { MUC_NS } from '../muc/ns.js';
import { isArchivable } from '../mam/eligibility.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';
import { fillRecent } from './recent-history.js';

/** The id the room gave a message (XEP-0359, `by` the room's bare JID). */
export function roomStanzaId(message: Element, room: string): string | undefined {
  const ids = message.getChildren('stanza-id', MUC_NS.stanzaId);
  return ids.find((el) => isJid(el.attrs.by, room))?.attrs.id;
}

/** Whether `raw` is the JID `canonical` (already in canonical form): parsed only when the strings differ. */
function isJid(raw: string | undefined, canonical: string): boolean {
  return raw === canonical || (raw !== undefined && tryParseJid(raw)?.toString() === canonical);
}

/** When the room says the message was sent (history and archive copies carry a delay). */
export function sentAt(message: Element): number | undefined {
  const stamp = message.getChild('delay', NS.delay)?.attrs.stamp;
  const when = stamp === undefined ? NaN : Date.parse(stamp);
  return Number.isNaN(when) ? undefined : when;
}

/** Room messages worth keeping: conversation content, not chat states or subject-only changes. */
export function worthArchiving(message: Element): boolean {
  if (message.getChild('subject') && !message.getChild('body')) return false;
  return isArchivable(message, 'chat');
}

/**
 * Archives a room message (type groupchat, or a private message) for the
 * account, as received at `when` (the delay's stamp by default), and returns
 * the archive's id, or undefined when not archived.
 */
export async function archiveRoomMessage(
  service: AccountRooms,
  membership: Membership,
  message: Element,
  externalId = roomStanzaId(message, membership.room),
  when = sentAt(message),
): Promise<string | undefined> {
  const { mam } = service.deps;
  if (!worthArchiving(message)) return undefined;
  const room = tryParseJid(membership.room)!;
  if (!(await mam.mayArchive(membership.username, room))) return undefined;
  // The room's history and gap fills reach the archive out of order: recent history is filled again from it.
  if (message.attrs.type === 'groupchat' && sentAt(message) !== undefined) membership.view.recent.drop();
  return mam.append(membership.username, message, { with: membership.room, externalId, when });
}

/**
 * A live groupchat message archived at `at` under `id`: kept as recent
 * history (the first one after a join or a restart fills the rest from the
 * archive, in the background). Called just before it is forked, so a
 * session answered locally gets it in its history or as live traffic.
 */
export function rememberRecent(service: AccountRooms, membership: Membership, message: Element, id: string, at: number): void {
  if (message.attrs.type !== 'groupchat' || sentAt(message) !== undefined) return;
  const { recent } = membership.view;
  recent.add(message, id, at);
  if (recent.loaded) return;
  fillRecent(service, membership).catch((err) => service.log.warn({ err, room: membership.room }, 'reading recent room history failed'));
}

/** The copy sessions get: the archive's stanza-id added (any claiming to be the account's removed). */
export function withArchiveId(service: AccountRooms, membership: Membership, message: Element, id: string | undefined): Element {
  if (id === undefined) return message;
  const account = `${membership.username}@${service.host.name}`;
  // The room's own stanza-id (by the room's canonical JID) is never the account's: no parsing for it.
  const forged = (child: XmlNode) => typeof child !== 'string' && child.name === 'stanza-id' && child.attrs.by !== membership.room && isJid(child.attrs.by, account);
  const children = message.children.filter((child) => !forged(child));
  return new Element(message.name, message.attrs, [...children, x('stanza-id', { xmlns: MUC_NS.stanzaId, by: account, id })]);
}
