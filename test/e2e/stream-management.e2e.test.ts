/**
 * Stream management with real clients: acks both ways, a connection cut
 * (socket destroyed, stream never closed) and resumption with nothing lost
 * and no unavailable presence seen by contacts, over TCP and WebSocket with
 * @xmpp/client and with slixmpp; resumption of another account's session,
 * of an unknown one, with a stale or too high counter, and while the old
 * connection still looks alive. @xmpp/client enables resumable stream
 * management on its own; the raw client sends what a library would not.
 * How hibernation ends is in stream-management-hibernation.e2e.test.ts.
 *
 * References: XEP-0198 §2 (feature), §3 (enabling), §4 (acks), §5
 * (resumption), §6 (errors); XEP-0203 (delay on resent messages).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness/start-server.js';
import { RawClient } from './harness/raw-client.js';
import { dumpRun, startDriver } from './harness/slixmpp.js';
import { SM, befriend, chat, isMessage, isPresence, pings, smHarness, until } from './harness/stream-management.js';

/** Resumptions here take milliseconds; the timeout only bounds stray sessions. */
const HIBERNATION_SECONDS = 2;

let server: TestServer;
const { accounts, serverSession, online, cut, resumeWith, rawAuthenticated, rawWithSm } = smHarness(() => server);

beforeAll(async () => {
  server = await startTestServer({ stream_management: { hibernation_timeout: HIBERNATION_SECONDS } });
});
afterAll(() => server.stop());

describe('negotiation and acks', () => {
  it('offers sm after authentication, refuses enable before binding, enables after', async () => {
    const [alice] = await accounts('alice');
    const raw = await RawClient.connect(server);
    expect(await raw.openStream()).not.toContain(SM);
    await raw.startTls();
    const features = await raw.authenticate(alice!, `${alice}-secret`);
    expect(features).toContain(`<sm xmlns='${SM}'/>`);
    raw.send(`<enable xmlns='${SM}'/>`);
    await raw.waitFor(/<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'\/><\/failed>/);
    await raw.bind('desk');
    raw.send(`<enable xmlns='${SM}'/>`);
    await raw.waitFor(/<enabled xmlns='urn:xmpp:sm:3'\/>/);
    raw.send(`<enable xmlns='${SM}'/>`);
    await raw.waitFor(/<failed xmlns='urn:xmpp:sm:3'><unexpected-request/);
    raw.close();
  });

  it('counts handled stanzas, asks for acks itself, and rejects an h above what it sent', async () => {
    const [alice] = await accounts('alice');
    const { raw } = await rawWithSm(alice!, 'desk');
    await pings(raw, 3, 'p');
    raw.send(`<r xmlns='${SM}'/>`);
    await raw.waitFor(/<a xmlns='urn:xmpp:sm:3' h='3'\/>/);
    // Two more results make five unacknowledged: the server asks at once.
    await pings(raw, 2, 'q');
    await raw.waitFor(/<r xmlns='urn:xmpp:sm:3'\/>/, 500);
    raw.send(`<a xmlns='${SM}' h='5'/>`);
    await pings(raw, 1, 'z');
    await until(() => serverSession(`${alice}@localhost/desk`)?.state.sm?.unacked.length === 1, 'the queue holds only the last');
    raw.send(`<a xmlns='${SM}' h='9'/>`);
    await raw.waitFor(
      /<stream:error><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/><handled-count-too-high xmlns='urn:xmpp:sm:3' h='9' send-count='6'\/>/,
    );
    await raw.waitForClose();
  });
});

describe('resumption after a cut connection', () => {
  it('keeps binding and presence, and delivers what arrived meanwhile, once', async () => {
    const [a, b] = await accounts('alice', 'bob');
    const alice = await online(a!, 'phone');
    const bob = await online(b!, 'desk');
    await befriend(alice, bob);
    await bob.send(chat(alice.jid, 'before'));
    await alice.waitFor(isMessage('before'));
    await cut(alice);

    await bob.send(chat(alice.jid, 'during-full'));
    await bob.send(chat(alice.bareJid, 'during-bare'));
    await resumeWith(alice);

    const full = await alice.waitFor(isMessage('during-full'));
    await alice.waitFor(isMessage('during-bare'));
    expect(full.getChild('delay', 'urn:xmpp:delay')?.attrs.from).toBe('localhost');
    await alice.expectNothing(isMessage('before'));
    await bob.expectNothing(isPresence(alice.jid, 'unavailable'));
    // The resumed session is the same: it still sends and receives.
    await alice.send(chat(bob.jid, 'back'));
    await bob.waitFor(isMessage('back'));
    await alice.stop();
    await bob.waitFor(isPresence(alice.jid, 'unavailable'));
    await bob.stop();
  });

  it('resumes a WebSocket session cut without <close/>', async () => {
    const [a, b] = await accounts('alice', 'bob');
    const alice = await online(a!, 'web', 'ws');
    const bob = await online(b!, 'desk');
    await cut(alice);
    await bob.send(chat(alice.jid, 'while-away'));
    await resumeWith(alice);
    await alice.waitFor(isMessage('while-away'));
    await alice.stop();
    await bob.stop();
  });
});

describe('resumption with slixmpp', () => {
  it('resumes after a cut and receives what was sent meanwhile', async () => {
    const [a, b] = await accounts('alice', 'bob');
    const bob = await online(b!, 'desk');
    const alice = startDriver(server, {
      username: a!,
      password: `${a}-secret`,
      resource: 'sli',
      streamManagement: true,
      scenario: [
        { wait: { event: 'sm_enabled' } },
        { presence: {} },
        { wait: { name: 'message', contains: 'before' } },
        { cut: true },
        { mark: 'cut' },
        // Meanwhile the test sends 'during' to the hibernating session.
        { sleep: 0.5 },
        { reconnect: true },
        { wait: { event: 'resumed' } },
        { wait: { name: 'message', contains: 'during' } },
      ],
    });
    await alice.waitFor((e) => e.event === 'session_start');
    const aliceJid = alice.jid!;
    await until(() => serverSession(aliceJid)?.presence !== undefined, 'slixmpp is available');
    await bob.send(chat(aliceJid, 'before'));
    await alice.mark('cut');
    await until(() => serverSession(aliceJid)?.detached === true, 'slixmpp session hibernates');
    await bob.send(chat(aliceJid, 'during'));
    const result = await alice.done;
    expect(result.code, dumpRun(result)).toBe(0);
    expect(result.events.some((e) => e.event === 'session_restarted')).toBe(false);
    const during = result.stanzas('message').filter((m) => m.getChildText('body') === 'during');
    expect(during).toHaveLength(1);
    expect(result.stanzas('message').filter((m) => m.getChildText('body') === 'before')).toHaveLength(1);
    await bob.expectNothing(isPresence(aliceJid, 'unavailable'));
    await bob.stop();
  });
});

describe('resumption requests that must fail or replace', () => {
  it("refuses another account's session id and changes nothing", async () => {
    const [a, b] = await accounts('alice', 'bob');
    const { raw: alice, id } = await rawWithSm(a!, 'desk');
    const bob = await rawAuthenticated(b!);
    bob.send(`<resume xmlns='${SM}' previd='${id}' h='0'/>`);
    await bob.waitFor(/<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'\/><\/failed>/);
    // Bob may still bind; Alice's stream is untouched and still hers.
    expect(await bob.bind('own')).toBe(`${b}@localhost/own`);
    await pings(alice, 1, 'still');
    expect(alice.transcript).not.toContain('stream:error');
    expect(serverSession(`${a}@localhost/desk`)?.detached).toBe(false);
    alice.close();
    bob.close();
  });

  it('refuses an unknown id', async () => {
    const [a] = await accounts('alice');
    const raw = await rawAuthenticated(a!);
    raw.send(`<resume xmlns='${SM}' previd='no-such-stream' h='0'/>`);
    await raw.waitFor(/<failed xmlns='urn:xmpp:sm:3'><item-not-found/);
    raw.close();
  });

  it('fails a resumption whose h is above what was sent, and accepts a stale one', async () => {
    const [a] = await accounts('alice');
    const first = await rawWithSm(a!, 'desk');
    await pings(first.raw, 3, 'p');
    first.raw.send(`<a xmlns='${SM}' h='3'/>`);
    // One more round trip, so the ack is surely handled before the cut.
    await pings(first.raw, 1, 'x');
    first.raw.close();
    await until(() => serverSession(`${a}@localhost/desk`)?.detached === true, 'hibernating');

    // Behind the last ack: accepted, nothing to resend.
    const stale = await rawAuthenticated(a!);
    stale.send(`<resume xmlns='${SM}' previd='${first.id}' h='1'/>`);
    await stale.waitFor(new RegExp(`<resumed xmlns='urn:xmpp:sm:3' previd='${first.id}' h='4'/>`));
    // The unacknowledged reply to x0 is sent again.
    await stale.waitFor(/id='x0'/);
    await pings(stale, 1, 'after');
    stale.close();
    await until(() => serverSession(`${a}@localhost/desk`)?.detached === true, 'hibernating again');

    const tooHigh = await rawAuthenticated(a!);
    tooHigh.send(`<resume xmlns='${SM}' previd='${first.id}' h='40'/>`);
    await tooHigh.waitFor(
      /<failed xmlns='urn:xmpp:sm:3' h='5'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'\/><handled-count-too-high xmlns='urn:xmpp:sm:3' h='40' send-count='5'\/><\/failed>/,
    );
    expect(serverSession(`${a}@localhost/desk`)).toBeUndefined();
    tooHigh.close();
  });

  it('resumes while the old connection still looks alive, closing it with conflict', async () => {
    const [a, b] = await accounts('alice', 'bob');
    const { raw: old, id } = await rawWithSm(a!, 'desk');
    const fresh = await rawAuthenticated(a!);
    fresh.send(`<resume xmlns='${SM}' previd='${id}' h='0'/>`);
    await fresh.waitFor(new RegExp(`<resumed xmlns='urn:xmpp:sm:3' previd='${id}' h='0'/>`));
    expect(await old.streamError()).toBe('conflict');
    const bob = await online(b!, 'desk');
    await bob.send(chat(`${a}@localhost/desk`, 'to-the-new-connection'));
    await fresh.waitFor(/<body>to-the-new-connection<\/body>/);
    fresh.send(`<r xmlns='${SM}'/>`);
    await fresh.waitFor(/<a xmlns='urn:xmpp:sm:3' h='0'\/>/);
    fresh.close();
    await bob.stop();
  });
});
