/**
 * Hibernation and resumption. A resumable session whose connection dies
 * without `</stream:stream>` hibernates: it stays bound and available while
 * its stanzas queue, until the client resumes it from a new stream or the
 * timer ends it. Resuming moves the new connection into the old session,
 * so its binding, presence and roster interest carry on with no
 * unavailable/available broadcast; what the client had not acknowledged is
 * sent again, then what queued meanwhile.
 *
 * References: XEP-0198 §5 (resumption; the old stream is closed with
 * `conflict` if still open), §6 (failed, handled-count-too-high), §7
 * (stream closure vs. an unfinished stream); XEP-0203 (delay on resend).
 */
import './events.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { StreamError } from '../../core/errors/stream-error.js';
import type { Session } from '../../core/session/session.js';
import { failed, handledCountTooHigh, parseCounter, resumed } from './protocol.js';
import {
  applyAck,
  inboundCount,
  restartAcking,
  stopTimers,
  writeNonza,
  type QueuedStanza,
  type StreamManagement,
} from './session-state.js';

/** Resumable sessions by SM-ID, on one host. */
export type ResumableSessions = Map<string, Session>;

/** Keeps a resumable session alive after its connection died. */
export function hibernate(session: Session, sm: StreamManagement): void {
  stopTimers(sm);
  // The `<r/>` in flight, if any, died with the connection.
  sm.ackRequested = false;
  sm.hibernationTimer = setTimeout(() => {
    session.log.debug({ session: session.id, jid: session.jid?.toString() }, 'hibernation timed out');
    session.close();
  }, sm.hibernationSeconds * 1000).unref();
  session.log.debug({ session: session.id, jid: session.jid?.toString() }, 'session hibernating');
}

/**
 * `<resume/>` on `fresh`, an authenticated stream with no resource bound.
 * Everything after the look-up is synchronous, so nothing the client sends
 * next can overtake the resumption.
 */
export function resume(fresh: Session, request: Element, sessions: ResumableSessions): void {
  const refuse = (el: Element) => fresh.send(el);
  if (!fresh.authenticated || fresh.bound) return refuse(failed('unexpected-request'));
  const previd = request.attrs.previd ?? '';
  const old = findResumable(fresh, previd, sessions);
  if (!old?.state.sm) return refuse(failed('item-not-found'));
  const sm = old.state.sm;
  const h = parseCounter(request.attrs.h);
  if (h === undefined) return refuse(failed('bad-request'));
  const verdict = applyAck(old, sm, h);
  if (verdict.kind === 'too-high') {
    // The client's idea of the stream is broken; the old session cannot go on.
    refuse(failed('undefined-condition', inboundCount(old, sm), handledCountTooHigh(h, sm.sent)));
    old.close(new StreamError('undefined-condition', 'resumption failed: handled count too high'));
    return;
  }
  takeOver(old, sm, fresh, previd);
}

/**
 * The session `previd` names, if it is the same account's and still
 * resumable. Another account's session is as unknown as an expired one:
 * nothing leaks, nothing changes.
 */
function findResumable(fresh: Session, previd: string, sessions: ResumableSessions): Session | undefined {
  const old = sessions.get(previd);
  if (!old || old.closed || old.state.sm?.ending) return undefined;
  return old.username === fresh.username && old.host === fresh.host ? old : undefined;
}

function takeOver(old: Session, sm: StreamManagement, fresh: Session, previd: string): void {
  stopTimers(sm);
  old.adoptConnection(fresh, new StreamError('conflict', 'the session was resumed on another connection'));
  writeNonza(old, sm, resumed(previd, inboundCount(old, sm)));
  for (const queued of sm.unacked) old.sendBelow(sm.filter, withDelay(old, queued));
  restartAcking(old, sm);
  old.log.debug({ session: old.id, jid: old.jid?.toString(), resent: sm.unacked.length }, 'session resumed');
  void old.host!.bus.fire('stream-resumed', { session: old });
}

/**
 * A message sent again carries when it was first meant to arrive, unless
 * it already says (offline storage did). The queued original stays as is.
 */
function withDelay(session: Session, { stanza, at }: QueuedStanza): Element {
  if (stanza.name !== 'message' || stanza.getChild('delay', NS.delay)) return stanza;
  const copy = stanza.clone();
  copy.append(x('delay', { xmlns: NS.delay, from: session.host!.name, stamp: new Date(at).toISOString() }));
  return copy;
}
