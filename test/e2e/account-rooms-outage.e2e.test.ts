/**
 * Account rooms through federation trouble: Romeo's account on Verona sits
 * in a persistent, archived room of Mantua's MUC service; a watcher on
 * Mantua owns it; Romeo's phone and laptop have joined.
 *
 * - The s2s link is cut while a watcher's message is in flight, and Verona
 *   cannot reach Mantua for a while: nobody sees anything, the lost message
 *   comes from the room's archive once, a message a session sent meanwhile
 *   reaches the room afterwards (liveness.ts: self-ping, gap fill).
 * - Mantua restarts: Verona's self-ping finds the account gone, it rejoins
 *   quietly into the occupant Mantua restored, and what the room said
 *   before that comes from its archive, once.
 * - The room says 332 and its server stays down a while: the quiet rejoin
 *   keeps trying and gets back in.
 * - Verona restarts while the watcher speaks: Mantua's MUC drops the
 *   account when that traffic bounces (333: Verona cannot prevent that while
 *   down), and Verona comes back in on start with the gap filled.
 *
 * References: account-rooms spec, "Durability", "Traffic from the room"
 * (332 and remote restarts not final), "Traffic from a session to the
 * room" (self-ping); XEP-0410 §3.2; XEP-0313 §4; XEP-0045 §15.6 (332, 333);
 * RFC 6120 §8.3.3.15 (remote-server-not-found).
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestClient } from './harness/client.js';
import { isBody, statusCodes } from './harness/muc.js';
import { groupchat, joinRoom, loginAs, presenceFrom, stopAll } from './harness/account-rooms.js';
import { queryArchive } from './harness/mam-client.js';
import { route, s2sOf } from './harness/s2s.js';
import { x } from '../../src/core/xml/element.js';
import { MUC_NS } from '../../src/modules/muc/ns.js';
import {
  HOME,
  REMOTE_SERVICE,
  accountRoomsOf,
  leaveFrom,
  mucHost,
  pinRoute,
  remoteCast,
  reroute,
  startFederatedRooms,
  trouble,
  type Federation,
} from './harness/federated-rooms.js';

let federation: Federation;

beforeAll(async () => {
  federation = await startFederatedRooms();
});
afterAll(async () => {
  await federation?.home.stop();
  await federation?.away.stop();
});

const PERSISTENT = { persistentroom: '1' };

/** The watcher says each line and waits for the room to reflect it. */
async function say(watcher: TestClient, room: string, ...bodies: string[]): Promise<void> {
  for (const body of bodies) {
    await watcher.send(groupchat(room, body));
    await watcher.waitFor(isBody(body));
  }
}

/** Each session gets each body exactly once. */
async function receivedOnce(sessions: TestClient[], bodies: string[], timeoutMs = 10_000): Promise<void> {
  for (const session of sessions) for (const body of bodies) await session.waitFor(isBody(body), timeoutMs, body);
  for (const session of sessions) for (const body of bodies) await session.expectNothing(isBody(body), 0);
}

/** The bodies of the room's messages in the account's archive, sorted (gap fill archives late ones later). */
async function archivedBodies(client: TestClient, room: string): Promise<string[]> {
  return (await queryArchive(client, { with: room })).items.map((i) => i.body ?? '').sort();
}

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function linkDown(): Promise<void> {
  const bus = federation.home.running.server.hosts.get(HOME)!.bus;
  return new Promise((resolve) => {
    const off = bus.on('s2s-link-down', ({ remoteDomain }) => {
      if (remoteDomain !== REMOTE_SERVICE) return;
      off();
      resolve();
    });
  });
}

it('rides out a cut of the s2s link: nothing seen, nothing lost, nothing twice', async () => {
  const { home, away } = federation;
  const { room, occupant, nurse, phone, laptop } = await remoteCast(federation, 'cut', PERSISTENT);
  await say(nurse, room, 'before the cut');
  await receivedOnce([phone, laptop], ['before the cut']);
  // Mantua writes the next line into a connection Verona has just dropped; Verona cannot reach Mantua for a while.
  const dead = `127.0.0.1:${await closedPort()}`;
  const off = mucHost(away).bus.on(
    'route/remote',
    ({ stanza, to }) => {
      if (to.domain !== HOME || stanza.getChildText('body') !== 'lost in the cut') return undefined;
      s2sOf(home).setRoute(REMOTE_SERVICE, dead);
      s2sOf(home).cut(REMOTE_SERVICE);
      return undefined;
    },
    1000,
  );
  const down = linkDown();
  await say(nurse, room, 'lost in the cut');
  off();
  await down;
  await phone.send(groupchat(room, 'said during the outage'));
  await Promise.all([phone, laptop].map((s) => s.expectNothing((el) => trouble(room)(el) || isBody('lost in the cut')(el))));

  reroute(home, away);
  await say(nurse, room, 'after the cut');
  await receivedOnce([phone, laptop], ['after the cut', 'lost in the cut', 'said during the outage']);
  expect((await nurse.waitFor(isBody('said during the outage'))).attrs.from).toBe(occupant);
  await Promise.all([phone, laptop].map((s) => s.expectNothing(trouble(room), 0)));
  await nurse.expectNothing(presenceFrom(occupant), 0);
  expect(await archivedBodies(phone, room)).toEqual(['after the cut', 'before the cut', 'lost in the cut', 'said during the outage']);
  await stopAll(phone, laptop, nurse);
});

it('rejoins quietly after the rooms server restarts, with what the room said before that', async () => {
  const { home, away } = federation;
  const { watcher, room, occupant, nurse, phone, laptop } = await remoteCast(federation, 'restart-away', PERSISTENT);
  await say(nurse, room, 'before the restart');
  await receivedOnce([phone, laptop], ['before the restart']);
  pinRoute(away, home);
  await away.restart();
  // The watcher is back (same resource): Romeo never left in its eyes.
  const desk = await loginAs(away)(watcher, 'desk');
  expect((await joinRoom(desk, room, 'Nurse')).some(presenceFrom(occupant))).toBe(true);
  // Said before Verona could reach Mantua again: only the room's archive has it for Romeo.
  await say(desk, room, 'right after the restart');
  reroute(home, away);
  await receivedOnce([phone, laptop], ['right after the restart']);
  await say(desk, room, 'after the rejoin');
  await receivedOnce([phone, laptop], ['after the rejoin']);
  await desk.expectNothing(presenceFrom(occupant), 0);
  await Promise.all([phone, laptop].map((s) => s.expectNothing(trouble(room), 0)));
  expect(await archivedBodies(laptop, room)).toEqual(['after the rejoin', 'before the restart', 'right after the restart']);
  await stopAll(phone, laptop, nurse, desk);
});

it("keeps rejoining after the room's 332 while its server is down, and gets back in", async () => {
  const { home, away } = federation;
  const { romeo, account, watcher, room, occupant, nurse, phone, laptop } = await remoteCast(federation, 'shutdown', PERSISTENT);
  const membership = accountRoomsOf(home).get(romeo, room)!;
  pinRoute(away, home);
  await away.restart(async () => {
    // The room said 332 (service shutdown) as it went; Verona tries to rejoin while Mantua is down.
    const userX = x('x', { xmlns: MUC_NS.user }, x('item', { affiliation: 'none', role: 'none' }), x('status', { code: '110' }), x('status', { code: '332' }));
    await home.running.server.hosts.get(HOME)!.route(x('presence', { from: occupant, to: account, type: 'unavailable' }, userX));
    await until(() => membership.rejoinAttempts >= 2);
  });
  const desk = await loginAs(away)(watcher, 'desk');
  await joinRoom(desk, room, 'Nurse');
  reroute(home, away);
  await until(() => membership.state === 'joined' && !membership.silentRejoin, 8000);
  await say(desk, room, 'back after 332');
  await receivedOnce([phone, laptop], ['back after 332']);
  await desk.expectNothing(presenceFrom(occupant), 0);
  await Promise.all([phone, laptop].map((s) => s.expectNothing(trouble(room), 0)));
  await stopAll(phone, laptop, nurse, desk);
});

it('comes back after the accounts server restarts, with what was said while it was down', async () => {
  const { home, away } = federation;
  const { romeo, room, occupant, nurse, phone, laptop } = await remoteCast(federation, 'restart-home', PERSISTENT);
  await say(nurse, room, 'before the restart');
  await receivedOnce([phone, laptop], ['before the restart']);
  pinRoute(home, away);
  await home.restart(() => say(nurse, room, 'while Verona was down', 'still down'));
  route(away, home);
  // Mantua's MUC dropped the account as a ghost when its traffic bounced; Verona brings it back on start.
  expect(statusCodes(await nurse.waitFor(leaveFrom(occupant)))).toContain('333');
  expect((await nurse.waitFor(presenceFrom(occupant), 10_000)).attrs.type).toBeUndefined();
  const tablet = await loginAs(home)(romeo, 'tablet');
  const sequence = await joinRoom(tablet, room, 'Romeo', { maxstanzas: '10' });
  const history = sequence.filter((el) => el.name === 'message' && el.getChild('body')).map((el) => el.getChildText('body'));
  expect(history).toEqual(['before the restart', 'while Verona was down', 'still down']);
  expect(await archivedBodies(tablet, room)).toEqual(['before the restart', 'still down', 'while Verona was down']);
  await say(nurse, room, 'after the restart');
  await receivedOnce([tablet], ['after the restart']);
  await nurse.expectNothing(leaveFrom(occupant), 0);
  await stopAll(phone, laptop, nurse, tablet);
});

/** Polls `check` until it holds. */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
