/**
 * Stream management (XEP-0198) for client streams: acks in both directions,
 * the unacknowledged queue, hibernation when a resumable session's
 * connection dies, and resumption from a new stream. Counting and queueing
 * happen in a per-session output filter (session-state.ts); hibernation and
 * resumption in resumption.ts; what becomes of stanzas never acknowledged
 * in unacked.ts.
 *
 * Config: `stream_management.hibernation_timeout` (seconds, default 300)
 * and `stream_management.max_queue` (stanzas, default 500).
 *
 * References: XEP-0198 §2 (stream feature, after authentication), §3
 * (enabling; only after binding), §4 (acks), §5 (resumption), §6 (errors).
 */
import './events.js';
import { randomBytes } from 'node:crypto';
import { defineModule, type ModuleInstance } from '../../core/module/define-module.js';
import { x } from '../../core/xml/element.js';
import type { NonzaEvent } from '../../core/events/event-map.js';
import type { Session } from '../../core/session/session.js';
import { HandledCountTooHigh, SM, enabled, failed, parseCounter } from './protocol.js';
import {
  ackReceived,
  answerAckRequest,
  applyAck,
  startStreamManagement,
  stopTimers,
  writeNonza,
} from './session-state.js';
import { hibernate, resume, type ResumableSessions } from './resumption.js';
import { handleUnacked } from './unacked.js';

interface Api {
  /** Resumable sessions of this host by SM-ID (live or hibernating). */
  sessions: ResumableSessions;
}
type StreamManagementModule = ModuleInstance<{}, Api>;

const ENABLED_ALONE_MS = 5;

async function enable({ session, element }: NonzaEvent, mod: StreamManagementModule): Promise<true> {
  // Binding first (XEP-0198 §3), and only once per stream.
  if (!session.bound || session.state.sm) {
    session.send(failed('unexpected-request'));
    return true;
  }
  const config = mod.config.stream_management;
  const wantsResume = element.attrs.resume === 'true' || element.attrs.resume === '1';
  const preferred = parseCounter(element.attrs.max);
  const hibernationSeconds = preferred ? Math.min(preferred, config.hibernation_timeout) : config.hibernation_timeout;
  const id = wantsResume ? randomBytes(18).toString('base64url') : undefined;
  const sm = startStreamManagement(session, {
    id,
    hibernationSeconds,
    maxQueue: config.max_queue,
    onOverflow: () => endOnOverflow(session),
  });
  if (id) mod.api.sessions.set(id, session);
  writeNonza(session, sm, enabled(id, id ? Math.ceil(hibernationSeconds) : undefined));
  // COMPAT(@xmpp/client 0.14): it zeroes its inbound count a tick after
  // reading <enabled/>, forgetting stanzas that came in the same read; so
  // the next input (and what it makes us send) waits for a later read.
  await new Promise((resolve) => setTimeout(resolve, ENABLED_ALONE_MS));
  return true;
}

/** A hibernating session queued too much: it ends (after this send). */
function endOnOverflow(session: Session): void {
  const sm = session.state.sm!;
  if (sm.ending) return;
  sm.ending = true;
  session.log.info({ session: session.id, jid: session.jid?.toString(), queued: sm.unacked.length }, 'hibernation queue full');
  setImmediate(() => session.close());
}

function acknowledged({ session, element }: NonzaEvent): true {
  const sm = session.state.sm;
  const h = parseCounter(element.attrs.h);
  if (!sm || h === undefined) return true;
  if (applyAck(session, sm, h).kind === 'too-high') throw new HandledCountTooHigh(h, sm.sent);
  ackReceived(session, sm);
  return true;
}

/** Ends what still hibernates, its queue handled before storage closes. */
async function endHibernations(mod: StreamManagementModule): Promise<void> {
  for (const session of [...mod.api.sessions.values()]) {
    const sm = session.state.sm;
    if (!session.detached || !sm) continue;
    stopTimers(sm);
    await handleUnacked(session, sm.unacked.splice(0), sm.accountGone);
    session.close();
  }
}

export default defineModule({
  name: 'stream-management',
  setup: (): Api => ({ sessions: new Map() }),
  hooks: {
    'stream-features': ({ session, features }) => {
      if (session.authenticated && !session.bound) features.append(x('sm', { xmlns: SM }));
    },
    [`nonza/${SM}:enable`]: enable,
    [`nonza/${SM}:resume`]: ({ session, element }: NonzaEvent, mod: StreamManagementModule) => {
      resume(session, element, mod.api.sessions);
      return true;
    },
    [`nonza/${SM}:r`]: ({ session }: NonzaEvent) => {
      if (session.state.sm) answerAckRequest(session, session.state.sm);
      return true;
    },
    [`nonza/${SM}:a`]: acknowledged,
    'session-connection-lost': ({ session }) => {
      const sm = session.state.sm;
      if (!sm?.id || sm.ending) return undefined;
      hibernate(session, sm);
      return true;
    },
    'resource-unbind': async ({ session }, mod) => {
      const sm = session.state.sm;
      if (!sm) return;
      stopTimers(sm);
      if (sm.id && mod.api.sessions.get(sm.id) === session) mod.api.sessions.delete(sm.id);
      await handleUnacked(session, sm.unacked.splice(0), sm.accountGone);
    },
    'user-deleted': ({ username }, mod) => {
      for (const session of mod.host.sessions.ofUser(username)) {
        if (!session.state.sm) continue;
        session.state.sm.accountGone = true;
        if (session.detached) session.close();
      }
    },
    'host-stopping': (_, mod) => endHibernations(mod),
  },
});
