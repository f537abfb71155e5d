/**
 * Interoperability with Prosody 0.12 (Debian package `prosody`): Perch
 * (perch-p.test on 127.0.0.4) federates with a real Prosody (capulet.test
 * on 127.0.0.2, MUC conference.capulet.test with mod_muc_mam). With
 * certificates from one test CA on both sides (streams authenticated by
 * SASL EXTERNAL): federation basics both ways; Romeo's account on Perch in
 * Prosody rooms with two or three sessions, as Juliet (a Prosody user,
 * room owner) sees it; the membership riding out a restart of Prosody, and
 * a gap filled from the room's archive after the s2s link died with a
 * message in flight. Then with self-signed certificates: the basics again,
 * over dialback. Skipped when Prosody is not installed.
 *
 * References: RFC 6120 §4, §13.7; RFC 6121 §3 (subscriptions), §4.2;
 * XEP-0030; XEP-0178; XEP-0220; XEP-0045 §7.2, §7.4, §7.6, §8.2, §10.9;
 * XEP-0313 §4 (room archives); account-rooms spec.
 */
import { describe, expect, it } from 'vitest';
import type { TestClient } from './harness/client.js';
import { isBody } from './harness/muc.js';
import { groupchat, joinRoom, stopAll } from './harness/account-rooms.js';
import { queryArchive } from './harness/mam-client.js';
import { leaveFrom } from './harness/federated-rooms.js';
import { gapFillAgainstPeer, roomRulesAgainstPeer } from './harness/interop-room-rules.js';
import { prosodyMissing, startProsody } from './harness/prosody-server.js';
import {
  accountRoomsOf,
  federatesBothWays,
  ownTrouble,
  peerLogin,
  presenceOf,
  receivedOnce,
  roomCast,
  say,
  useInteropPair,
  type InteropPair,
} from './harness/interop-federation.js';

const missing = prosodyMissing();

let pair: InteropPair;
/** Juliet's session on Prosody: she owns the rooms. */
let juliet: TestClient;

/** Perch and Prosody for the enclosing describe: one test CA for both (SASL EXTERNAL), or self-signed certificates (dialback). */
function useServers(certificates: boolean): void {
  const options = { perchDomain: 'perch-p.test', perchAddress: '127.0.0.4', peerDomain: 'capulet.test', peerAddress: '127.0.0.2', startPeer: startProsody, certificates };
  useInteropPair(options, missing, (started, owner) => {
    pair = started;
    juliet = owner;
  }, () => ({ pair, juliet }));
}

describe.skipIf(missing)(`Prosody, certificates from a test CA${missing ? ` (skipped: ${missing})` : ''}`, () => {
  useServers(true);

  it('federates both ways: chat, a subscription ending in both, disco#info, over SASL EXTERNAL', () => federatesBothWays(pair, juliet, 'sasl-external'));

  roomRulesAgainstPeer(() => ({ pair, juliet }));

  it('rides out a restart of Prosody: no leave seen, what the room says after it arrives once', async () => {
    const { romeo, room, occupant, phone, laptop } = await roomCast(pair, juliet, 'vigil');
    await say(juliet, room, 'before the restart');
    await receivedOnce([phone, laptop], ['before the restart']);
    await juliet.stop();
    // Juliet's own leave reaches the sessions; the account's occupant must not be seen to go.
    await pair.peer.restart(async () => void (await Promise.all([phone, laptop].map((s) => s.expectNothing(ownTrouble(occupant), 500)))));
    juliet = await peerLogin(pair, 'juliet', 'balcony');
    // COMPAT(Prosody 0.12): a persistent room keeps its occupants across a restart and says nothing (no 332) as it stops.
    expect((await joinRoom(juliet, room, 'Juliet')).some(presenceOf(undefined, occupant))).toBe(true);
    await say(juliet, room, 'right after the restart', 'still early');
    await receivedOnce([phone, laptop], ['right after the restart', 'still early'], 15_000);
    // Prosody is back (it authenticated to Perch by certificate): Perch sends to it again at once, past failures forgotten.
    await laptop.send(groupchat(room, 'here still'));
    expect((await juliet.waitFor(isBody('here still'), 2500, 'an answer right after the restart')).attrs.from).toBe(occupant);
    await receivedOnce([phone, laptop], ['here still']);
    await Promise.all([phone, laptop].map((s) => s.expectNothing(ownTrouble(occupant), 0)));
    const archived = (await queryArchive(phone, { with: room })).items.map((i) => i.body).sort();
    expect(archived).toEqual(['before the restart', 'here still', 'right after the restart', 'still early']);
    expect(accountRoomsOf(pair).get(romeo, room)?.state).toBe('joined');
    await juliet.expectNothing(leaveFrom(occupant), 0);
    await stopAll(phone, laptop);
  }, 30_000);

  gapFillAgainstPeer(() => ({ pair, juliet }), 'mod_muc_mam');
});

describe.skipIf(missing)(`Prosody, self-signed certificates${missing ? ` (skipped: ${missing})` : ''}`, () => {
  useServers(false);

  it('federates both ways: chat, a subscription ending in both, disco#info, over dialback', () => federatesBothWays(pair, juliet, 'dialback'));
});
