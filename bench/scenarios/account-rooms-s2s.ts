/**
 * Account rooms across servers (issue 6): what crosses the server-to-server
 * link per room message when the room is on another server. Two Perch
 * processes on loopback, federated with `s2s.routes` (`s2s.secure: false`,
 * self-signed certificates, dialback): server A (`perch-a.test`) with K
 * accounts × S sessions (`--s2s-accounts`, `--s2s-sessions`), server B
 * (`perch-b.test`) with the room `bench@rooms.perch-b.test` and the sender
 * account(s) (`--s2s-senders`, default one; the first creates the room).
 * Run twice on fresh servers: account rooms on and off on A; B's config is
 * the same both times (the defaults). Clients on A speak plain XEP-0045:
 * with account rooms on, each account is one occupant and A forks the
 * room's traffic to its sessions; off, each session is an occupant.
 *
 * B's outgoing s2s connections to A go through a tap (../load/s2s-tap.ts)
 * that ends TLS on both sides and counts, B → A: bytes on the wire, bytes of
 * XML and stanzas. Measured:
 *
 * - Room fill: every account's first session joins, then the second, and so
 *   on (10 joins in flight), each until the subject; the s2s traffic B → A
 *   meanwhile.
 * - Messages: N groupchat messages (`--s2s-messages`), paced under the
 *   room's flood limit (20 at once, then 10/s per occupant: the sender goes
 *   at 18, then 9/s), at most 20 not yet delivered to all K × S sessions.
 *   Per room message: s2s stanzas and bytes B → A, CPU of A and of B;
 *   deliveries/s to A's sessions and the latency from sending a message to
 *   its delivery to the last session (p50, p99).
 *
 * References: XEP-0045 §7.2 (entering; the subject comes last), §7.4
 * (groupchat), §10.1.2 (instant room); RFC 6120 §5.4 (STARTTLS);
 * XEP-0220 (dialback); ../../../shared/spec/account-rooms.md.
 */
import { S2sTap, type TapCounts } from '../load/s2s-tap.js';
import { LOOPBACK, freePort, mapLimit, readCpuMs, sleep, type RunningTarget, type ServerUnderTest } from '../servers/common.js';
import { preparePerch } from '../servers/perch.js';
import { percentile, type BenchTarget, type Metric, type SelfStartingScenario } from './scenario.js';
import { DeliveryTracker, closeAll, createRoom, joinRoom, loginMuc, roomJid, until, type MucSession } from './muc-room.js';

const DOMAIN_A = 'perch-a.test';
const DOMAIN_B = 'perch-b.test';
const ROOM = `bench@rooms.${DOMAIN_B}`;
const PASSWORD = 'bench-pass';
const COLUMNS = { on: 'Perch (AR on)', off: 'Perch (AR off)' } as const;
/** Under Perch's flood limit (burst 20, 10/s per occupant), with a margin for arrival jitter. */
const PACE = { burst: 18, perSecond: 9 };
const WINDOW = 20;
const LOGINS_IN_FLIGHT = 25;
const JOINS_IN_FLIGHT = 10;
/** The link counts as settled after this long without a byte B → A. */
const QUIET_MS = 300;
const SETTLE_LIMIT_MS = 10_000;
const DELIVERY_TIMEOUT_MS = 120_000;

export interface S2sWorkload {
  accounts: number;
  sessions: number;
  messages: number;
  senders: number;
}

/** Two running servers, the tap between them, and how to stop it all. */
interface Federation {
  a: BenchTarget;
  b: BenchTarget;
  tap: S2sTap;
  stop(): Promise<void>;
}

const targetOf = (server: ServerUnderTest, running: RunningTarget): BenchTarget => ({ ...running, accounts: server.accounts, room: ROOM });

/** Prepares and starts B, the tap and A; whatever started is stopped again if a later step fails. */
async function startFederation(work: S2sWorkload, accountRooms: boolean): Promise<Federation> {
  const undo: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of undo.reverse()) await step();
  };
  try {
    const serverA = await preparePerch({ prefix: 'bench', password: PASSWORD, count: work.accounts }, DOMAIN_A);
    undo.push(() => serverA.dispose());
    const serverB = await preparePerch({ prefix: 'sender', password: PASSWORD, count: work.senders }, DOMAIN_B);
    undo.push(() => serverB.dispose());
    const [s2sA, s2sB] = [await freePort(), await freePort()];
    const tap = await S2sTap.start(s2sA, DOMAIN_A);
    undo.push(() => tap.close());
    const runningB = await serverB.start({ s2s: { port: s2sB, routes: { [DOMAIN_A]: `${LOOPBACK}:${tap.port}` } } });
    undo.push(() => runningB.stop());
    const toB = `${LOOPBACK}:${s2sB}`;
    const runningA = await serverA.start({ accountRooms, s2s: { port: s2sA, routes: { [DOMAIN_B]: toB, [`rooms.${DOMAIN_B}`]: toB } } });
    undo.push(() => runningA.stop());
    return { a: targetOf(serverA, runningA), b: targetOf(serverB, runningB), tap, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits until nothing has crossed B → A for QUIET_MS: the fill's last presences are not counted as message traffic. */
async function settle(tap: S2sTap): Promise<TapCounts> {
  const deadline = performance.now() + SETTLE_LIMIT_MS;
  let last = tap.counts();
  for (;;) {
    await sleep(QUIET_MS);
    const now = tap.counts();
    if (now.wireBytes === last.wireBytes || performance.now() > deadline) return now;
    last = now;
  }
}

const stanzas = (c: TapCounts) => c.message + c.presence + c.iq;

interface Room {
  /** members[s] holds session s of every account on A. */
  members: MucSession[][];
  senders: MucSession[];
}

const everyone = (room: Room) => [...room.members.flat(), ...room.senders];

async function login(fed: Federation, work: S2sWorkload, room: Room): Promise<void> {
  const senders = Array.from({ length: work.senders }, (_, i) => i);
  room.senders.push(...(await mapLimit(senders, LOGINS_IN_FLIGHT, (i) => loginMuc(fed.b, i, `sender${i}`))));
  const accounts = Array.from({ length: work.accounts }, (_, i) => i);
  for (let s = 0; s < work.sessions; s++) {
    room.members.push(await mapLimit(accounts, LOGINS_IN_FLIGHT, (i) => loginMuc(fed.a, i, `a${i}`, `s${s}`)));
  }
}

/** The senders on B create and enter the room; then A's sessions join, a session of every account at a time. */
async function fillRoom(fed: Federation, work: S2sWorkload, room: Room, progress: (line: string) => void): Promise<Metric[]> {
  await createRoom(fed.b, room.senders[0]!);
  for (const sender of room.senders.slice(1)) await joinRoom(fed.b, sender);
  const before = await settle(fed.tap);
  const start = performance.now();
  for (const sessions of room.members) await mapLimit(sessions, JOINS_IN_FLIGHT, (s) => joinRoom(fed.a, s, { until: 'subject' }));
  const fillMs = performance.now() - start;
  await mapLimit(everyone(room), 50, (s) => s.client.ping());
  const after = await settle(fed.tap);
  const fillStanzas = stanzas(after) - stanzas(before);
  const fillKiB = (after.xmlBytes - before.xmlBytes) / 1024;
  progress(`room filled: ${work.accounts} x ${work.sessions} sessions in ${(fillMs / 1000).toFixed(1)} s; ${fillStanzas} stanzas, ${fillKiB.toFixed(0)} KiB of XML B -> A`);
  const shape = `${work.accounts} x ${work.sessions} sessions`;
  return [
    { label: `room fill across servers, ${shape} (${JOINS_IN_FLIGHT} in flight)`, value: fillMs / 1000, unit: 's', higherIsBetter: false },
    { label: 's2s stanzas B -> A during the room fill', value: fillStanzas, unit: '', higherIsBetter: false },
    { label: 's2s XML B -> A during the room fill', value: fillKiB, unit: 'KiB', higherIsBetter: false },
  ];
}

/** When message `index` may leave: each sender sends PACE.burst at once, then PACE.perSecond. */
function dueAt(start: number, index: number, senders: number): number {
  const ordinal = Math.floor(index / senders);
  return start + (Math.max(0, ordinal - PACE.burst + 1) / PACE.perSecond) * 1000;
}

/** Sends the tracker's messages round-robin from the senders, paced and windowed; waits for the last delivery. */
async function pacedGroupchat(target: BenchTarget, senders: MucSession[], tracker: DeliveryTracker): Promise<void> {
  const refused = () => {
    if (senders.some((s) => s.rateLimited)) throw new Error('the room refused a message as too fast (resource-constraint)');
    return false;
  };
  const start = performance.now();
  for (let next = 0; next < tracker.messages; next++) {
    const due = dueAt(start, next, senders.length);
    const ready = () => refused() || (performance.now() >= due && next - tracker.completed < WINDOW);
    await until(ready, DELIVERY_TIMEOUT_MS, `room to send message ${next}`);
    tracker.sentAt[next] = performance.now();
    await senders[next % senders.length]!.client.send(
      `<message to='${roomJid(target)}' type='groupchat' id='gc${next}'><body>Benchmark groupchat [[m${next}]]</body></message>`,
    );
  }
  await until(() => refused() || tracker.completed === tracker.messages, DELIVERY_TIMEOUT_MS, 'the last groupchat delivery');
}

async function cpuOf(target: BenchTarget): Promise<number> {
  return target.pid === undefined ? NaN : readCpuMs(target.pid);
}

async function sendMessages(fed: Federation, work: S2sWorkload, room: Room, progress: (line: string) => void): Promise<Metric[]> {
  const recipients = room.members.flat();
  const tracker = new DeliveryTracker(work.messages, recipients.length);
  for (const session of recipients) session.track(tracker);
  const before = fed.tap.counts();
  const [cpuA, cpuB] = [await cpuOf(fed.a), await cpuOf(fed.b)];
  await pacedGroupchat(fed.b, room.senders, tracker);
  const [cpuAfterA, cpuAfterB] = [await cpuOf(fed.a), await cpuOf(fed.b)];
  const after = await settle(fed.tap);
  const per = (value: number) => value / work.messages;
  const rate = ((work.messages * recipients.length) / tracker.spanMs) * 1000;
  const link = { stanzas: per(stanzas(after) - stanzas(before)), xml: per(after.xmlBytes - before.xmlBytes), wire: per(after.wireBytes - before.wireBytes) };
  progress(
    `${work.messages} messages: ${rate.toFixed(0)} deliveries/s; per message B -> A ${link.stanzas} stanzas ` +
      `(${per(after.message - before.message)} messages, ${per(after.presence - before.presence)} presences, ${per(after.iq - before.iq)} iqs), ` +
      `${link.xml.toFixed(0)} bytes of XML, ${link.wire.toFixed(0)} bytes on the wire; ${after.connections} connection(s) B -> A`,
  );
  const shape = `${work.accounts} x ${work.sessions}, ${work.senders} paced sender${work.senders === 1 ? '' : 's'}`;
  return [
    { label: 's2s stanzas B -> A per room message', value: link.stanzas, unit: '', higherIsBetter: false },
    { label: 's2s XML bytes B -> A per room message', value: link.xml, unit: 'B', higherIsBetter: false },
    { label: 's2s wire bytes B -> A per room message (TLS)', value: link.wire, unit: 'B', higherIsBetter: false },
    { label: `deliveries/s to A's sessions, ${shape}`, value: rate, unit: '/s', higherIsBetter: true },
    { label: 'latency to the last session on A, p50', value: percentile(tracker.latencies, 50), unit: 'ms', higherIsBetter: false },
    { label: 'latency to the last session on A, p99', value: percentile(tracker.latencies, 99), unit: 'ms', higherIsBetter: false },
    { label: 'CPU of A per room message', value: per(cpuAfterA - cpuA), unit: 'ms', higherIsBetter: false },
    { label: 'CPU of B per room message', value: per(cpuAfterB - cpuB), unit: 'ms', higherIsBetter: false },
  ];
}

async function runVariant(work: S2sWorkload, accountRooms: boolean, progress: (line: string) => void): Promise<Metric[]> {
  const fed = await startFederation(work, accountRooms);
  const room: Room = { members: [], senders: [] };
  try {
    await login(fed, work, room);
    progress(`${work.accounts * work.sessions} sessions on A and ${work.senders} on B logged in`);
    const fill = await fillRoom(fed, work, room, progress);
    return [...fill, ...(await sendMessages(fed, work, room, progress))];
  } finally {
    await closeAll(everyone(room));
    await fed.stop();
  }
}

export function accountRoomsS2sScenario(work: S2sWorkload): SelfStartingScenario {
  const { accounts, sessions, messages, senders } = work;
  if (![accounts, sessions, messages, senders].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error('--s2s-accounts, --s2s-sessions, --s2s-messages and --s2s-senders must be whole numbers of at least 1');
  }
  return {
    name: 'account-rooms-s2s',
    selfStarting: true,
    columns: [COLUMNS.on, COLUMNS.off],
    run: (column, progress) => runVariant(work, column === COLUMNS.on, progress),
  };
}
