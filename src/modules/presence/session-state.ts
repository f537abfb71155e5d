/**
 * What the presence module remembers per session: the JIDs it sent directed
 * presence to, so they learn when it goes away.
 *
 * References: RFC 6121 §4.6.3 (the server tracks directed presence and sends
 * unavailable presence to those entities).
 */
import type { Session } from '../../core/session/session.js';

declare module '../../core/session/session.js' {
  interface SessionState {
    /** JIDs (as sent) that got available presence from this session without a subscription. */
    directedPresence?: Set<string>;
  }
}

/** More than this many tracked targets and the oldest is forgotten (bounds memory per session). */
const MAX_DIRECTED = 1000;

export function rememberDirected(session: Session, to: string): void {
  const targets = (session.state.directedPresence ??= new Set());
  targets.delete(to);
  targets.add(to);
  if (targets.size > MAX_DIRECTED) targets.delete(targets.values().next().value!);
}

export function forgetDirected(session: Session, to: string): void {
  session.state.directedPresence?.delete(to);
}

/** Takes the directed targets, leaving the session with none. */
export function takeDirected(session: Session): string[] {
  const targets = [...(session.state.directedPresence ?? [])];
  session.state.directedPresence = undefined;
  return targets;
}
