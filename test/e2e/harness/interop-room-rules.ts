/**
 * The account-rooms rules every interop test file checks against a real
 * peer's MUC service: one occupant per account with its bare JID and later
 * sessions answered locally, a room message forked to every session after
 * crossing once, nick change and kick, destruction, and a gap filled from
 * the room's archive after the s2s link died.
 *
 * References: account-rooms spec ("What the room sees", "Session joins a
 * room", "Traffic from the room"); XEP-0045 §7.2, §7.4, §7.6, §8.2, §10.9.
 */
import { expect, it } from 'vitest';
import { xml, type TestClient } from './client.js';
import { MUC, MUC_USER, isBody, item, statusCodes } from './muc.js';
import { createRoom, groupchat, joinRoom, presenceFrom, stopAll } from './account-rooms.js';
import { queryArchive } from './mam-client.js';
import { leaveFrom } from './federated-rooms.js';
import { s2sOf } from './s2s.js';
import { accountRoomsOf, countCrossing, ownTrouble, perchHost, perchLogin, receivedOnce, roomCast, say, until, type InteropPair } from './interop-federation.js';

const ownerQuery = (room: string, ...children: ReturnType<typeof xml>[]) =>
  xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, ...children));

/** Registers the shared room tests; `ctx` gives the running pair and the peer's room owner (set in beforeAll). */
export function roomRulesAgainstPeer(ctx: () => { pair: InteropPair; juliet: TestClient }): void {
  it('shows Juliet one occupant for Romeo’s account, with his bare JID (non-anonymous room); later sessions answered locally', async () => {
    const { pair, juliet } = ctx();
    const [romeo] = await pair.perch.createFreshUsers('romeo');
    const room = `gallery@${pair.peer.mucDomain}`;
    const occupant = `${room}/Romeo`;
    await createRoom(juliet, room, 'Juliet', { whois: 'anyone' });
    const [phone, laptop, tablet] = await Promise.all(['phone', 'laptop', 'tablet'].map((r) => perchLogin(pair, romeo, r)));
    const first = await joinRoom(phone, room, 'Romeo');
    expect(statusCodes(first.find(presenceFrom(occupant))!)).toContain('110');
    expect(item(await juliet.waitFor(presenceFrom(occupant), 5000, 'Romeo')).attrs.jid).toBe(`${romeo}@${pair.perch.domain}`);

    const traffic = countCrossing(pair, room);
    for (const later of [laptop, tablet]) {
      const sequence = await joinRoom(later, room, 'Romeo');
      expect(sequence.map((el) => `${el.name} ${el.attrs.from}`)).toEqual(first.map((el) => `${el.name} ${el.attrs.from}`));
    }
    traffic.stop();
    expect(traffic.kinds).toEqual([]);
    await juliet.expectNothing(presenceFrom(occupant));
    await stopAll(phone, laptop, tablet);
  });

  it('forks a room message to every session, crossing once; a session speaks once as the account', async () => {
    const { pair, juliet } = ctx();
    const { room, occupant, phone, laptop } = await roomCast(pair, juliet, 'hall', { whois: 'anyone' });
    const traffic = countCrossing(pair, room);
    await say(juliet, room, 'Good morrow, cousin');
    await receivedOnce([phone, laptop], ['Good morrow, cousin']);
    expect(traffic.count('in', 'message')).toBe(1);
    expect((await queryArchive(phone, { with: room })).items.map((i) => i.body)).toEqual(['Good morrow, cousin']);

    await laptop.send(groupchat(room, 'Is the day so young?'));
    expect((await juliet.waitFor(isBody('Is the day so young?'), 5000)).attrs.from).toBe(occupant);
    await receivedOnce([phone, laptop], ['Is the day so young?']);
    await juliet.expectNothing(isBody('Is the day so young?'), 0);
    traffic.stop();
    expect(traffic.count('out', 'message')).toBe(1);
    await stopAll(phone, laptop);
  });

  it('changes the account’s nick for every session (one 303); a kick by the owner ends the membership', async () => {
    const { pair, juliet } = ctx();
    const { romeo, room, occupant, phone, laptop } = await roomCast(pair, juliet, 'square');
    await phone.send(xml('presence', { to: `${room}/Romeo2` }));
    expect(statusCodes(await juliet.waitFor(leaveFrom(occupant), 5000, '303'))).toContain('303');
    await juliet.waitFor(presenceFrom(`${room}/Romeo2`), 5000, 'new nick');
    for (const session of [phone, laptop]) {
      expect(statusCodes(await session.waitFor(leaveFrom(occupant), 5000, '303'))).toEqual(expect.arrayContaining(['303', '110']));
      await session.waitFor(presenceFrom(`${room}/Romeo2`), 5000, 'new nick');
    }
    await juliet.expectNothing((el) => leaveFrom(occupant)(el) || presenceFrom(`${room}/Romeo2`)(el));

    const kick = xml('item', { nick: 'Romeo2', role: 'none' }, xml('reason', {}, 'Banished'));
    await juliet.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#admin` }, kick)));
    for (const session of [phone, laptop]) {
      expect(statusCodes(await session.waitFor(leaveFrom(`${room}/Romeo2`), 5000, '307'))).toEqual(expect.arrayContaining(['307', '110']));
    }
    expect(accountRoomsOf(pair).get(romeo, room)).toBeUndefined();
    await stopAll(phone, laptop);
  });

  it('passes the room’s destruction to every session', async () => {
    const { pair, juliet } = ctx();
    const { romeo, room, occupant, phone, laptop } = await roomCast(pair, juliet, 'tomb');
    const venue = `vault@${pair.peer.mucDomain}`;
    await juliet.iq(ownerQuery(room, xml('destroy', { jid: venue }, xml('reason', {}, 'A plague'))));
    for (const session of [phone, laptop]) {
      const gone = await session.waitFor(leaveFrom(occupant), 5000, 'destroy');
      expect(gone.getChild('x', MUC_USER)?.getChild('destroy')?.attrs.jid).toBe(venue);
    }
    expect(accountRoomsOf(pair).get(romeo, room)).toBeUndefined();
    await stopAll(phone, laptop);
  });

}

/**
 * The s2s link dies with a room message in flight: the self-ping after the
 * link drops finds the account still in, and the lost message is fetched
 * from the room's archive (`archive` names the peer's module), once.
 */
export function gapFillAgainstPeer(ctx: () => { pair: InteropPair; juliet: TestClient }, archive: string): void {
  it(`fills a gap from the room’s archive (${archive}) when the s2s link dies with a message in flight`, async () => {
    const { pair, juliet } = ctx();
    const { room, occupant, phone, laptop } = await roomCast(pair, juliet, 'cut');
    await say(juliet, room, 'before the cut');
    await receivedOnce([phone, laptop], ['before the cut']);
    // The next line dies with the connection it came on, as if written into a link that just broke.
    let dropped = false;
    const stopDropping = perchHost(pair).bus.on(
      's2s-stanza-in',
      ({ stanza }) => {
        if (dropped || stanza.getChildText('body') !== 'lost in the cut') return undefined;
        dropped = true;
        s2sOf(pair.perch).cut(pair.peer.mucDomain);
        return true;
      },
      2000,
    );
    await say(juliet, room, 'lost in the cut');
    await until(() => dropped, 5000, 'the cut');
    stopDropping();
    await say(juliet, room, 'after the cut');
    await receivedOnce([phone, laptop], ['lost in the cut', 'after the cut'], 15_000);
    await Promise.all([phone, laptop].map((s) => s.expectNothing(ownTrouble(occupant), 0)));
    const archived = (await queryArchive(phone, { with: room })).items.map((i) => i.body).sort();
    expect(archived).toEqual(['after the cut', 'before the cut', 'lost in the cut']);
    await juliet.expectNothing(presenceFrom(occupant), 0);
    await stopAll(phone, laptop);
  }, 30_000);
}
