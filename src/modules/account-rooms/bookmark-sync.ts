/**
 * Bookmarks (XEP-0402) as the account's list of rooms, both ways. A room
 * the account joined gets an autojoin bookmark with the nick in use (unless
 * `bookmark_joins` is off); leaving, a kick, a ban or destruction clears
 * autojoin. A bookmark published with autojoin joins the account even with
 * no session online (with the bookmark's nick); retracting it or clearing
 * autojoin ends the membership, and every joined session gets a
 * self-unavailable.
 *
 * References: account-rooms spec, "Leaving" (bookmark-driven),
 * "Nicknames"; XEP-0402 §3 (autojoin), §2 (conference element).
 */
import type { Bookmark } from '../bookmarks/index.js';
import type { AccountRooms } from './service.js';
import { Membership } from './membership.js';
import { joinAsAccount } from './join.js';
import { leaveRoom } from './leave.js';

/** The account is in the room: an autojoin bookmark with the nick in use (unless `bookmark_joins` is off). */
export async function markJoined(service: AccountRooms, membership: Membership): Promise<void> {
  const { bookmarks } = service.deps;
  if (!bookmarks) return;
  const add = service.config.bookmark_joins;
  await bookmarks.update(membership.username, membership.room, (current) => {
    if (!add || (current?.autojoin && current.nick === membership.nick)) return undefined;
    return { ...current, jid: membership.room, autojoin: true, nick: membership.nick };
  });
  const list = await bookmarks.list(membership.username);
  membership.bookmarked = list.some((b) => b.jid === membership.room && b.autojoin);
}

/** The account left the room for good: the bookmark (if any) stays, without autojoin. */
export async function markLeft(service: AccountRooms, membership: Membership): Promise<void> {
  membership.bookmarked = false;
  await service.deps.bookmarks?.update(membership.username, membership.room, (current) =>
    current?.autojoin ? { ...current, autojoin: false } : undefined,
  );
}

/** `bookmarks-changed`: autojoin bookmarks without a membership join; lost ones end theirs. */
export async function bookmarksChanged(service: AccountRooms, username: string, bookmarks: Bookmark[]): Promise<void> {
  if (!service.config.enabled) return;
  const autojoin = new Map(bookmarks.filter((b) => b.autojoin).map((b) => [b.jid, b]));
  for (const membership of service.of(username)) {
    if (membership.bookmarked && !autojoin.has(membership.room) && membership.state !== 'leaving') await leaveRoom(service, membership);
  }
  for (const bookmark of autojoin.values()) {
    const existing = service.get(username, bookmark.jid);
    // A room joined without a bookmark (bookmark_joins off) follows one the user makes later.
    if (existing && existing.state !== 'leaving') existing.bookmarked = true;
    if (existing || !appliesTo(service, bookmark.jid)) continue;
    const membership = new Membership(username, bookmark.jid, bookmark.nick ?? username);
    membership.password = bookmark.password;
    membership.bookmarked = true;
    service.add(membership);
    // The room's default history seeds the archive, so the first session to join gets it locally.
    await joinAsAccount(service, membership, { history: null });
  }
}

function appliesTo(service: AccountRooms, room: string): boolean {
  const { services } = service.config;
  return services.length === 0 || services.includes(room.slice(room.indexOf('@') + 1));
}
