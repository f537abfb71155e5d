/**
 * Memberships across restarts. Each account's memberships (room, nick,
 * password, last room stanza-id and when it came, the presence the room
 * showed) are stored; when the server starts, every one is rejoined quietly
 * (the account rejoins with the same nick and presence, so a room on this
 * server, which kept the account as occupant, shows nobody leaving or
 * joining) and the gap is filled from the room's archive. At shutdown
 * every membership is saved as it stands (the presence the room shows
 * included). Memberships no session joined for `idle_leave_after` end.
 *
 * References: account-rooms spec, "Durability", "Leaving" (idle
 * memberships).
 */
import type { AccountRooms } from './service.js';
import { Membership, type StoredMembership } from './membership.js';
import { scheduleRejoin, leaveRoom } from './leave.js';

/** `server-started`: every stored membership is rejoined quietly. */
export async function restoreMemberships(service: AccountRooms): Promise<void> {
  if (!service.config.enabled) return;
  const memberships: Membership[] = [];
  for (const username of await service.store.users()) {
    for (const stored of (await service.store.get(username)) ?? []) {
      if (service.get(username, stored.room)) continue;
      memberships.push(restored(username, stored));
      service.add(memberships.at(-1)!);
    }
  }
  for (const membership of memberships) scheduleRejoin(service, membership);
}

function restored(username: string, stored: StoredMembership): Membership {
  const membership = new Membership(username, stored.room, stored.nick);
  membership.password = stored.password;
  membership.fromFullJid = stored.fromFullJid ?? false;
  membership.lastStanzaId = stored.lastStanzaId;
  membership.lastReceived = stored.lastReceived;
  membership.bookmarked = stored.bookmarked ?? false;
  membership.shownPresence = stored.shownPresence;
  return membership;
}

/**
 * At shutdown: every account's memberships as they are now. Besides the
 * batched stanza-ids, the presence each room shows changes without a save
 * (grace drops); a rejoin with a stale one would show the room a change.
 */
export async function saveAll(service: AccountRooms): Promise<void> {
  await service.flush();
  for (const username of service.users()) {
    await service.save(username).catch((err) => service.log.warn({ err, username }, 'saving room memberships failed'));
  }
}

/** Ends memberships no session joined for `idle_leave_after` seconds; returns the timer's stopper. */
export function scheduleIdleLeave(service: AccountRooms): () => void {
  const idleMs = service.config.idle_leave_after * 1000;
  if (idleMs <= 0) return () => {};
  const timer = setInterval(() => {
    const now = Date.now();
    for (const username of service.users()) {
      for (const membership of service.of(username)) {
        const idle = membership.state === 'joined' && membership.sessions.size === 0 && now - membership.idleSince >= idleMs;
        if (idle) void leaveRoom(service, membership).catch((err) => service.log.warn({ err }, 'idle leave failed'));
      }
    }
  }, Math.min(idleMs, 60_000)).unref();
  return () => clearInterval(timer);
}
