/**
 * `perch rooms list <jid>` and `perch rooms leave <jid> <room>`: an
 * account's room memberships for the operator. With the server running,
 * both go through its control socket (control.ts), so a leave reaches the
 * room and the account's joined sessions. With no server running, the list
 * is read from storage and a leave is made in storage (membership removed,
 * bookmark autojoin cleared; offline.ts). Every failure is one line and a
 * nonzero exit (main.ts prints thrown errors as `perch: ...`).
 *
 * References: account-rooms spec, "Leaving", "Durability".
 */
import { Command } from 'commander';
import { loadConfig, type PerchConfig } from '../../core/config/config.js';
import { tryParseJid } from '../../core/jid/jid.js';
import { Accounts } from '../../core/accounts.js';
import { callControl } from '../../core/control/client.js';
import { openStorage } from '../../storage/open.js';
import type { StorageDriver } from '../../core/storage/stores.js';
import { roomJid } from '../bookmarks/bookmark.js';
import { leaveOffline, storedMemberships } from './offline.js';
// Types only: the augmentation of ControlCommands; the handlers run in the server.
import type {} from './control.js';

type Options = { config?: string };
interface Account {
  username: string;
  host: string;
  bare: string;
}

export function roomsCommand(): Command {
  const rooms = new Command('rooms').description("an account's room memberships (account rooms)");
  const sub = (usage: string, description: string) =>
    rooms.command(usage).description(description).option('-c, --config <file>', 'config file (default: $PERCH_CONFIG, else built-in defaults)');
  sub('list <jid>', 'list the memberships of an account: room, nick and state, one per line').action(list);
  sub('leave <jid> <room>', 'make the account leave a room (its sessions are told; the bookmark stops auto-joining)').action(leave);
  return rooms;
}

async function list(jid: string, opts: Options): Promise<void> {
  const config = await loadConfig(opts.config);
  const account = accountOf(jid, config);
  const live = await callControl(config.data_dir, account.host, 'rooms.list', { user: account.username });
  if (live) {
    for (const m of live) say(`${m.room}\t${m.nick}\t${m.state}`);
    return;
  }
  await offline(config, account, async (storage) => {
    for (const m of await storedMemberships(storage, account.host, account.username)) say(`${m.room}\t${m.nick}\tstored`);
  });
}

async function leave(jid: string, room: string, opts: Options): Promise<void> {
  const config = await loadConfig(opts.config);
  const account = accountOf(jid, config);
  const target = roomJid(room);
  if (!target) throw new Error(`${room} is not a room JID (expected room@service)`);
  const live = await callControl(config.data_dir, account.host, 'rooms.leave', { user: account.username, room: target });
  if (live) {
    say(live.finished ? `${account.bare} left ${target}` : `${account.bare} is leaving ${target} (the room has not confirmed yet)`);
    return;
  }
  await offline(config, account, async (storage) => {
    if (!(await leaveOffline(storage, account.host, account.username, target))) throw new Error(`${account.bare} is not in ${target}`);
    say(`${account.bare} left ${target} (server not running: the room notices at its next restart or ghost check)`);
  });
}

/** Runs `fn` on storage opened directly, once the account is known to exist. */
async function offline(config: PerchConfig, account: Account, fn: (storage: StorageDriver) => Promise<void>): Promise<void> {
  const storage = openStorage(config);
  try {
    if (!(await new Accounts(storage).exists(account.username, account.host))) throw new Error(`no such user ${account.bare}`);
    await fn(storage);
  } finally {
    await storage.close();
  }
}

function accountOf(input: string, config: PerchConfig): Account {
  const jid = tryParseJid(input);
  if (!jid?.local || jid.resource !== undefined) throw new Error(`${input} is not a bare JID (expected user@domain)`);
  if (!config.hosts.includes(jid.domain)) throw new Error(`${jid.domain} is not a host of this server`);
  return { username: jid.local, host: jid.domain, bare: jid.toString() };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
