/**
 * Operator commands on a running server's control socket: `rooms.list`
 * (an account's memberships: room, nick, state) and
 * `rooms.leave` (the account leaves a room as if its last session had left:
 * the room gets the unavailable, every joined session a self-unavailable,
 * the bookmark's autojoin is cleared). The `perch rooms` CLI (cli.ts) uses
 * them while the server runs.
 *
 * References: account-rooms spec, "Leaving"; XEP-0045 §7.14 (exiting a
 * room); ../../core/control/registry.ts.
 */
import { ControlError, type ControlRegistry } from '../../core/control/registry.js';
import { roomJid } from '../bookmarks/bookmark.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';
import { leaveRoom } from './leave.js';

export interface MembershipSummary {
  room: string;
  nick: string;
  /** `joining`, `joined` or `leaving` on a running server (the CLI says `stored` when it read storage). */
  state: string;
}

declare module '../../core/control/registry.js' {
  interface ControlCommands {
    'rooms.list': { args: { user: string }; result: MembershipSummary[] };
    'rooms.leave': { args: { user: string; room: string }; result: { finished: boolean } };
  }
}

/** How long `rooms.leave` waits for the room to confirm (leave.ts gives up after 10 s). */
const LEAVE_WAIT_MS = 11_000;
const POLL_MS = 25;

/** Registers `rooms.list` and `rooms.leave` for the service's host. */
export function registerControlCommands(control: ControlRegistry, service: AccountRooms): void {
  const host = service.host.name;
  control.register(host, 'rooms.list', async ({ user }) => {
    const username = await existingAccount(service, user);
    return service.of(username).map(({ room, nick, state }) => ({ room, nick, state }));
  });
  control.register(host, 'rooms.leave', async ({ user, room }) => {
    const username = await existingAccount(service, user);
    const jid = typeof room === 'string' ? roomJid(room) : undefined;
    if (!jid) throw new ControlError(`${String(room)} is not a room JID (expected room@service)`);
    const membership = service.get(username, jid);
    if (!membership) throw new ControlError(`${username}@${host} is not in ${jid}`);
    await leaveRoom(service, membership);
    return { finished: await dropped(service, membership) };
  });
}

async function existingAccount(service: AccountRooms, user: unknown): Promise<string> {
  const username = typeof user === 'string' ? user : '';
  if (username === '' || !(await service.host.server.accounts.exists(username, service.host.name))) {
    throw new ControlError(`no such user ${username}@${service.host.name}`);
  }
  return username;
}

/** Waits until the leave finished (the room confirmed, or leave.ts gave up waiting). */
async function dropped(service: AccountRooms, membership: Membership): Promise<boolean> {
  const until = Date.now() + LEAVE_WAIT_MS;
  while (service.get(membership.username, membership.room) === membership) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}
