/**
 * A session's stream-management state and the output filter that keeps it:
 * every stanza written is numbered and kept until the client acknowledges
 * it; while the session hibernates nothing is written and the stanzas only
 * queue. The filter sits closest to the wire so it counts exactly what the
 * client is sent (client state indication holds stanzas farther out).
 *
 * The server asks for acks itself (after a few stanzas, or shortly after
 * the first unacknowledged one) so the queue drains even when the client
 * never asks.
 *
 * References: XEP-0198 §4 (acks, counters), §5 (what is kept for
 * resumption), §8.2 (efficient acking).
 */
import type { Element } from '../../core/xml/element.js';
import type { OutputFilter, Session } from '../../core/session/session.js';
import { ack, ackRequest, distance, increment, judgeAck, type AckVerdict } from './protocol.js';

/** Lower than anything else: stream management is nearest the wire. */
export const SM_FILTER_ORDER = 0;
/** Unacknowledged stanzas that make us ask for an ack at once. */
const ACK_AFTER_STANZAS = 5;
/** Otherwise we ask this long after the first unacknowledged stanza. */
const ACK_AFTER_MS = 1000;

export interface QueuedStanza {
  stanza: Element;
  /** When it was first sent (or queued), for the delay stamp on resend. */
  at: number;
}

export interface StreamManagement {
  /** SM-ID when the stream may be resumed. */
  id?: string;
  /** Seconds the session hibernates for before it ends. */
  hibernationSeconds: number;
  maxQueue: number;
  /** Number of the last stanza sent (mod 2^32). */
  sent: number;
  /** The client's last `h`. */
  acked: number;
  /** Sent and not yet acknowledged, oldest first: numbers acked+1 … sent. */
  unacked: QueuedStanza[];
  /** `session.handledStanzas` when SM was enabled; our `h` counts from there. */
  inboundBase: number;
  /** An `<r/>` is out and unanswered. */
  ackRequested: boolean;
  /** `sent` when the last `<r/>` went out: only newer stanzas prompt another. */
  requestedAt: number;
  ackTimer?: NodeJS.Timeout;
  hibernationTimer?: NodeJS.Timeout;
  /** The account was deleted: unacknowledged messages bounce rather than wait offline. */
  accountGone?: boolean;
  /** The queue overflowed and the session is being ended. */
  ending?: boolean;
  filter: OutputFilter;
  /** Called when a hibernating session's queue outgrows `maxQueue` (ends it). */
  onOverflow(): void;
}

declare module '../../core/session/session.js' {
  interface SessionState {
    sm?: StreamManagement;
  }
}

const STANZAS = new Set(['message', 'presence', 'iq']);

export function isStanza(el: Element): boolean {
  return STANZAS.has(el.name) && (el.attrs.xmlns === undefined || el.attrs.xmlns === 'jabber:client');
}

/** Turns stream management on for a bound session and installs its filter. */
export function startStreamManagement(
  session: Session,
  options: { id?: string; hibernationSeconds: number; maxQueue: number; onOverflow(): void },
): StreamManagement {
  const sm: StreamManagement = {
    ...options,
    sent: 0,
    acked: 0,
    unacked: [],
    inboundBase: session.handledStanzas,
    ackRequested: false,
    requestedAt: 0,
    filter: (el, next) => countAndQueue(session, sm, el, next),
  };
  session.state.sm = sm;
  session.addOutputFilter(sm.filter, SM_FILTER_ORDER);
  return sm;
}

function countAndQueue(session: Session, sm: StreamManagement, el: Element, next: (el: Element) => void): void {
  if (!isStanza(el)) {
    if (!session.detached) next(el);
    return;
  }
  sm.unacked.push({ stanza: el, at: Date.now() });
  sm.sent = increment(sm.sent);
  if (sm.unacked.length > sm.maxQueue) {
    if (session.detached) return sm.onOverflow();
    giveUpOldest(sm);
  }
  if (session.detached) return;
  next(el);
  scheduleAckRequest(session, sm);
}

/**
 * A live session keeps at most `maxQueue` stanzas for a resend: the oldest
 * was written to a live connection and counts as delivered. Ending the
 * session instead would disconnect clients that under-count, as
 * COMPAT(@xmpp/client 0.14) does: it never counts replies to its own IQs.
 */
function giveUpOldest(sm: StreamManagement): void {
  sm.unacked.shift();
  sm.acked = increment(sm.acked);
}

/** Our `h`: stanzas handled from the client since SM was enabled. */
export function inboundCount(session: Session, sm: StreamManagement): number {
  return (session.handledStanzas - sm.inboundBase) % 2 ** 32;
}

/** Writes one of our own elements below the filter (never counted or queued). */
export function writeNonza(session: Session, sm: StreamManagement, el: Element): void {
  if (!session.detached) session.sendBelow(sm.filter, el);
}

export function answerAckRequest(session: Session, sm: StreamManagement): void {
  writeNonza(session, sm, ack(inboundCount(session, sm)));
}

/**
 * Applies the client's `h`: acknowledged stanzas leave the queue. Returns
 * the verdict so the caller can act on `too-high`.
 */
export function applyAck(session: Session, sm: StreamManagement, h: number): AckVerdict {
  const verdict = judgeAck(h, sm.acked, sm.unacked.length);
  if (verdict.kind !== 'ok') return verdict;
  sm.unacked.splice(0, verdict.count);
  sm.acked = h;
  return verdict;
}

/**
 * After an `<a/>`: another request goes out only for stanzas sent since
 * the last one. Asking again for what the client already answered about
 * would loop with a client whose count lags (see giveUpOldest).
 */
export function ackReceived(session: Session, sm: StreamManagement): void {
  sm.ackRequested = false;
  scheduleAckRequest(session, sm);
}

function scheduleAckRequest(session: Session, sm: StreamManagement): void {
  if (sm.ackRequested) return;
  const fresh = distance(sm.sent, sm.requestedAt);
  if (fresh === 0) return;
  if (fresh >= ACK_AFTER_STANZAS) return requestAck(session, sm);
  sm.ackTimer ??= setTimeout(() => requestAck(session, sm), ACK_AFTER_MS).unref();
}

function requestAck(session: Session, sm: StreamManagement): void {
  clearAckTimer(sm);
  if (session.detached || session.closed || sm.ackRequested) return;
  sm.ackRequested = true;
  sm.requestedAt = sm.sent;
  writeNonza(session, sm, ackRequest());
}

export function clearAckTimer(sm: StreamManagement): void {
  if (sm.ackTimer) clearTimeout(sm.ackTimer);
  sm.ackTimer = undefined;
}

/** Stops every timer of the state (the session ends or hibernates). */
export function stopTimers(sm: StreamManagement): void {
  clearAckTimer(sm);
  if (sm.hibernationTimer) clearTimeout(sm.hibernationTimer);
  sm.hibernationTimer = undefined;
}

/** After a resend on resumption: everything resent awaits an ack anew. */
export function restartAcking(session: Session, sm: StreamManagement): void {
  sm.ackRequested = false;
  sm.requestedAt = sm.acked;
  scheduleAckRequest(session, sm);
}
