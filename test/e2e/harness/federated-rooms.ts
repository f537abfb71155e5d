/**
 * Account rooms across federation, for end-to-end tests: Verona (the
 * accounts' Perch, account rooms on) and Mantua (a Perch whose MUC service
 * `rooms.mantua.test` hosts the rooms, with plain XEP-0045 occupants),
 * routed to each other by dialback; a watcher on Mantua owns each room (so
 * it sees real JIDs), Romeo's phone and laptop on Verona join it; and the
 * handles a test needs to look inside either server.
 *
 * References: account-rooms spec, "What tests must show"; RFC 6120 §4
 * (s2s); XEP-0220; XEP-0045 §7.2, §10.1.2.
 */
import type { AccountRooms } from '../../../src/modules/account-rooms/index.js';
import type { MucService } from '../../../src/modules/muc/service.js';
import type { Room } from '../../../src/modules/muc/room.js';
import type { Host } from '../../../src/core/host.js';
import type { TestClient, XmlElement } from './client.js';
import { PLAIN_MUC } from './muc.js';
import { route, s2sOf, startFederation } from './s2s.js';
import type { TestServer } from './start-server.js';
import { createRoom, forget, joinRoom, loginAs, presenceFrom } from './account-rooms.js';

export const HOME = 'verona.test';
export const AWAY = 'mantua.test';
export const REMOTE_SERVICE = `rooms.${AWAY}`;

export interface Federation {
  /** The accounts' server. */
  home: TestServer;
  /** The rooms' server. */
  away: TestServer;
}

/** Starts Verona and Mantua, each routed to the other (Mantua's MUC domain too). */
export async function startFederatedRooms(homeConfig: Record<string, unknown> = {}): Promise<Federation> {
  const [home, away] = await startFederation([
    { domain: HOME, s2s: { secure: false }, account_rooms: { presence_grace: 0.3 }, ...homeConfig },
    { domain: AWAY, s2s: { secure: false }, ...PLAIN_MUC },
  ]);
  route(home, away, { domains: [REMOTE_SERVICE] });
  return { home, away };
}

/** Points `from` at `to` again (after `to` restarted on new ports) and forgets `to`'s past failures. */
export function reroute(from: TestServer, to: TestServer): void {
  route(from, to, { domains: to.domain === AWAY ? [REMOTE_SERVICE] : [] });
  s2sOf(from).forgetFailures();
}

/**
 * Pins `from`'s route to `to` in its config too, so that a restart of
 * `from` (a new s2s service, made from the config) still finds `to`.
 */
export function pinRoute(from: TestServer, to: TestServer): void {
  const target = `127.0.0.1:${(to.running.ports as unknown as { s2s: number }).s2s}`;
  const routes = from.running.server.config.s2s.routes;
  for (const domain of [to.domain, ...(to.domain === AWAY ? [REMOTE_SERVICE] : [])]) routes[domain] = target;
}

export interface RemoteCast {
  romeo: string;
  /** The watcher's account on Mantua. */
  watcher: string;
  /** Romeo's bare JID, the real JID the room shows. */
  account: string;
  room: string;
  /** `room/Romeo`. */
  occupant: string;
  /** The watcher, on Mantua, in the room as Nurse. */
  nurse: TestClient;
  phone: TestClient;
  laptop: TestClient;
}

/** A fresh room on Mantua (these config fields) owned by a fresh watcher, with Romeo's phone and laptop joined from Verona. */
export async function remoteCast({ home, away }: Federation, name: string, config: Record<string, string> = {}): Promise<RemoteCast> {
  const [[romeo], [watcher]] = [await home.createFreshUsers('romeo'), await away.createFreshUsers('nurse')];
  const room = `${name}@${REMOTE_SERVICE}`;
  const occupant = `${room}/Romeo`;
  const nurse = await loginAs(away)(watcher, 'desk');
  await createRoom(nurse, room, 'Nurse', config);
  const phone = await loginAs(home)(romeo, 'phone');
  const laptop = await loginAs(home)(romeo, 'laptop');
  await joinRoom(phone, room, 'Romeo');
  await joinRoom(laptop, room, 'Romeo');
  await nurse.waitFor(presenceFrom(occupant));
  forget(nurse, phone, laptop);
  return { romeo, watcher, account: `${romeo}@${HOME}`, room, occupant, nurse, phone, laptop };
}

/** The room as Mantua's MUC service holds it. */
export function mantuaRoom(away: TestServer, room: string): Room | undefined {
  return (mucHost(away).modules.get('muc') as MucService).rooms.get(room);
}

export function mucHost(away: TestServer): Host {
  return away.running.server.hosts.get(REMOTE_SERVICE)!;
}

export function accountRoomsOf(home: TestServer): AccountRooms {
  return home.running.server.hosts.get(HOME)!.modules.get('account-rooms') as AccountRooms;
}

/** An unavailable presence from `from`. */
export const leaveFrom = (from: string) => (el: XmlElement) => presenceFrom(from)(el) && el.attrs.type === 'unavailable';

/** Anything a session must not see from the room during an outage: presence from it, or any error. */
export const trouble = (room: string) => (el: XmlElement) =>
  el.attrs.type === 'error' || (el.name === 'presence' && (el.attrs.from === room || el.attrs.from?.startsWith(`${room}/`) === true));
