/**
 * What the group chat scenarios (groupchat.ts, account-rooms.ts) share: a
 * session in a room with cheap scans of what it reads (self-presences, the
 * subject that ends a join, the owner's instant-room reply, rate-limit
 * errors, per-message markers), joining and creating a room, and pumping
 * groupchat messages with a window of messages not yet delivered
 * everywhere.
 *
 * References: XEP-0045 §7.2 (entering a room: occupants, self-presence with
 * status 110, history, then the subject), §7.2.15 (history), §7.4
 * (groupchat messages), §7.14 (exiting), §10.1.2 (instant room); RFC 6120
 * §8.3.3.18 (resource-constraint).
 */
import { RawClient } from '../load/raw-client.js';
import { TextCounter } from '../load/text-counter.js';
import { mapLimit, sleep } from '../servers/common.js';
import { accountLogin, type BenchTarget } from './scenario.js';

export const MUC_NS = 'http://jabber.org/protocol/muc';
const SELF_PATTERNS = [`code='110'`, `code="110"`];
const OWNER_REPLY = [`id='instant-room'`, `id="instant-room"`];
/** The subject (empty when none) is the last stanza of a join (§7.2.16). */
const SUBJECT = '<subject';
/** A room's flood limit answering a groupchat message: the run would wait forever. */
const RATE_LIMITED = 'resource-constraint';
const JOIN_TIMEOUT_MS = 60_000;
const DELIVERY_TIMEOUT_MS = 120_000;
const MARKER = /\[\[m(\d+)\]\]/g;

/** Per message of a round: when it was sent, how many recipients have it, when the last one got it. */
export class DeliveryTracker {
  readonly sentAt: number[];
  readonly lastAt: number[];
  private readonly counts: Int32Array;
  completed = 0;

  /** Messages carry markers `first` .. `first + messages - 1`. */
  constructor(
    readonly messages: number,
    private readonly recipients: number,
    readonly first = 0,
  ) {
    this.sentAt = new Array<number>(messages).fill(NaN);
    this.lastAt = new Array<number>(messages).fill(NaN);
    this.counts = new Int32Array(messages);
  }

  delivered(index: number): void {
    if (++this.counts[index]! !== this.recipients) return;
    this.lastAt[index] = performance.now();
    this.completed++;
  }

  /** ms from the first send to the last delivery of the round. */
  get spanMs(): number {
    return Math.max(...this.lastAt) - this.sentAt[0]!;
  }

  /** Per message: ms from its send to its delivery to the last recipient. */
  get latencies(): number[] {
    return this.lastAt.map((at, i) => at - this.sentAt[i]!);
  }
}

/** One session that joins a room, and its cheap scans of what it reads. */
export class MucSession {
  client!: RawClient;
  readonly scans = new TextCounter([...SELF_PATTERNS, ...OWNER_REPLY, SUBJECT, RATE_LIMITED]);
  /** When the latest self-presence and subject arrived (performance.now()), timed as read, not as polled. */
  selfAt = NaN;
  subjectAt = NaN;
  private tracker?: DeliveryTracker;
  private seen = new Uint8Array(0);
  private tail = '';

  constructor(readonly nick: string) {}

  get selfPresences(): number {
    return SELF_PATTERNS.reduce((sum, p) => sum + this.scans.count(p), 0);
  }

  get subjects(): number {
    return this.scans.count(SUBJECT);
  }

  get rateLimited(): boolean {
    return this.scans.count(RATE_LIMITED) > 0;
  }

  /** Counts this session's deliveries for `tracker` (one per marker, however often it comes). */
  track(tracker: DeliveryTracker): void {
    this.tracker = tracker;
    this.seen = new Uint8Array(tracker.messages);
  }

  onText(chunk: string): void {
    const [selves, subjects] = [this.selfPresences, this.subjects];
    this.scans.feed(chunk);
    if (this.selfPresences > selves) this.selfAt = performance.now();
    if (this.subjects > subjects) this.subjectAt = performance.now();
    if (!this.tracker) return;
    // The tail lets a marker split across reads match; `seen` drops the repeat.
    const text = this.tail + chunk;
    for (const match of text.matchAll(MARKER)) {
      const index = Number(match[1]) - this.tracker.first;
      if (index >= 0 && index < this.seen.length && this.seen[index] === 0) {
        this.seen[index] = 1;
        this.tracker.delivered(index);
      }
    }
    this.tail = text.slice(-16);
  }
}

/** Polls `done` (cheap, in-process; it may throw) until true; throws after `timeoutMs`. */
export async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** The scenarios' room: on the target's own MUC service unless the target names another (a room across servers). */
export const roomJid = (target: BenchTarget) => target.room ?? `bench@rooms.${target.domain}`;

/** Logs in account `index` with `resource`; the session will use `nick` in the room. */
export async function loginMuc(target: BenchTarget, index: number, nick: string, resource = 'muc'): Promise<MucSession> {
  const session = new MucSession(nick);
  session.client = await RawClient.login(accountLogin(target, index, { resource, onText: (c) => session.onText(c) }));
  return session;
}

export interface JoinOptions {
  /** `none` asks for `<history maxstanzas='0'/>`; `default` sends no `<history/>` (the room's default). */
  history?: 'none' | 'default';
  /** What ends the join: the self-presence (110) or the subject, after the history. */
  until?: 'self' | 'subject';
}

/** Sends the join presence and waits for its end; returns the ms taken. */
export async function joinRoom(target: BenchTarget, session: MucSession, opts: JoinOptions = {}): Promise<number> {
  const bySubject = opts.until === 'subject';
  const progress = () => (bySubject ? session.subjects : session.selfPresences);
  const before = progress();
  const history = opts.history === 'default' ? '' : `<history maxstanzas='0'/>`;
  const start = performance.now();
  await session.client.send(`<presence to='${roomJid(target)}/${session.nick}'><x xmlns='${MUC_NS}'>${history}</x></presence>`);
  await until(() => progress() > before, JOIN_TIMEOUT_MS, `${session.nick}'s ${bySubject ? 'room subject' : 'self-presence'}`);
  return (bySubject ? session.subjectAt : session.selfAt) - start;
}

export async function leaveRoom(target: BenchTarget, session: MucSession): Promise<void> {
  await session.client.send(`<presence type='unavailable' to='${roomJid(target)}/${session.nick}'/>`);
}

/** The first occupant creates the room and accepts the default configuration. */
export async function createRoom(target: BenchTarget, owner: MucSession, opts: JoinOptions = {}): Promise<void> {
  await joinRoom(target, owner, opts);
  await owner.client.send(
    `<iq type='set' id='instant-room' to='${roomJid(target)}'><query xmlns='${MUC_NS}#owner'>` +
      `<x xmlns='jabber:x:data' type='submit'/></query></iq>`,
  );
  await until(() => OWNER_REPLY.some((p) => owner.scans.count(p) > 0), JOIN_TIMEOUT_MS, 'the instant-room reply');
}

export async function closeAll(sessions: MucSession[]): Promise<void> {
  await mapLimit(sessions, 50, (s) => s.client.close());
}

export interface PumpOptions {
  /** Messages sent at once (round-robin over the senders). */
  batch: number;
  /** At most this many messages not yet delivered to every recipient. */
  window: number;
}

/** Sends the tracker's messages round-robin from the senders, paced by the window; waits for the last delivery. */
export async function pumpGroupchat(target: BenchTarget, senders: MucSession[], tracker: DeliveryTracker, opts: PumpOptions): Promise<void> {
  const refused = () => {
    if (senders.some((s) => s.rateLimited)) throw new Error('the room refused a message as too fast (resource-constraint)');
    return false;
  };
  for (let next = 0; next < tracker.messages; ) {
    await until(() => refused() || next - tracker.completed < opts.window, DELIVERY_TIMEOUT_MS, `delivery of message ${next - opts.window}`);
    const end = Math.min(tracker.messages, next + opts.batch);
    const writes: Promise<void>[] = [];
    for (; next < end; next++) {
      const marker = tracker.first + next;
      tracker.sentAt[next] = performance.now();
      writes.push(
        senders[next % senders.length]!.client.send(
          `<message to='${roomJid(target)}' type='groupchat' id='gc${marker}'><body>Benchmark groupchat [[m${marker}]]</body></message>`,
        ),
      );
    }
    await Promise.all(writes);
  }
  await until(() => refused() || tracker.completed === tracker.messages, DELIVERY_TIMEOUT_MS, 'the last groupchat delivery');
}
