/**
 * IQs between sessions and rooms. A joined session's IQ to the room or an
 * occupant goes out from the account's occupant JID under a server-chosen
 * id; the answer returns to the asking session only, with its own id, and
 * MAM results of such a query go to that session alone. A self-ping is
 * answered locally while the membership is joined and recently verified;
 * an answer saying the account is not an occupant starts a quiet rejoin,
 * then the IQ is tried once more.
 * IQs the room relays to the account: ping is answered by the server, the
 * rest goes to the joined session active most recently (the answer relayed
 * back under the room's id), else `service-unavailable`.
 *
 * References: account-rooms spec, "Traffic from a session to the room",
 * "Traffic from the room" (IQs); XEP-0410 §3 (self-ping); XEP-0045 §7.5
 * (IQs through the room); XEP-0313 §4 (queryid); RFC 6120 §8.2.3.
 */
import { randomBytes } from 'node:crypto';
import type { Element } from '../../core/xml/element.js';
import { StanzaError, errorReply } from '../../core/errors/stanza-error.js';
import { iqResult } from '../../core/xml/stanza.js';
import type { JID } from '../../core/jid/jid.js';
import type { Session } from '../../core/session/session.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';
import { scheduleRejoin } from './leave.js';

const PING_NS = 'urn:xmpp:ping';
const MAM_NS = 'urn:xmpp:mam:2';
/** A self-ping is answered locally when the room proved the occupancy this recently. */
export const VERIFIED_FOR_MS = 5 * 60_000;
/** MAM results may trail the query's answer a little. */
const RESULTS_LINGER_MS = 5000;

/**
 * A session's IQ get/set to the room or one of its occupants. An answer
 * saying the account is not an occupant (the room forgot it) starts a quiet
 * rejoin, after which the IQ is tried once more.
 */
export async function iqFromSession(service: AccountRooms, membership: Membership, session: Session, stanza: Element, to: JID, retried = false): Promise<void> {
  membership.lastActive = session;
  const selfPing = isSelfPing(membership, stanza, to);
  if (selfPing && membership.state === 'joined' && Date.now() - membership.lastVerified < VERIFIED_FOR_MS) {
    session.send(iqResult(stanza));
    return;
  }
  const answer = await askRoom(service, membership, session, stanza);
  if (!answer) {
    session.send(errorReply(stanza, new StanzaError('remote-server-timeout', 'the room did not answer')));
    return;
  }
  if (selfPing && answer.attrs.type === 'result') membership.lastVerified = Date.now();
  if (!retried && saysNotAnOccupant(answer, selfPing) && (await rejoined(service, membership))) {
    return iqFromSession(service, membership, session, stanza, to, true);
  }
  session.send(relayed(answer, stanza.attrs.id, session));
}

/** Sends the IQ as the account under a server id; MAM results of it go to the session. Undefined when the room never answered. */
async function askRoom(service: AccountRooms, membership: Membership, session: Session, stanza: Element): Promise<Element | undefined> {
  const payload = stanza.elements()[0];
  const queryId = payload?.name === 'query' && payload.attrs.xmlns === MAM_NS ? payload.attrs.queryid : undefined;
  const stopResults = queryId === undefined ? undefined : service.expectMamResults(queryId, (message) => relayResult(session, message));
  const request = stanza.clone();
  delete request.attrs.id;
  request.attrs.from = service.occupantFrom(membership);
  try {
    return await service.deps.iq.request(request);
  } catch {
    return undefined;
  } finally {
    if (stopResults) setTimeout(stopResults, RESULTS_LINGER_MS).unref();
  }
}

/** XEP-0410 §3.2: not-acceptable means not joined; item-not-found on a self-ping too (the nick is gone). */
function saysNotAnOccupant(answer: Element, selfPing: boolean): boolean {
  if (answer.attrs.type !== 'error') return false;
  const condition = answer.getChild('error')?.elements()[0]?.name;
  return condition === 'not-acceptable' || (selfPing && condition === 'item-not-found');
}

/** How long a session's IQ waits for a quiet rejoin before its error is relayed as it came. */
const REJOIN_WAIT_MS = 10_000;
const REJOIN_POLL_MS = 50;

/** Starts a quiet rejoin (unless one is under way) and waits for it: true once the account is an occupant again. */
async function rejoined(service: AccountRooms, membership: Membership): Promise<boolean> {
  if (membership.state === 'joined') scheduleRejoin(service, membership);
  else if (!membership.silentRejoin) return false;
  const deadline = Date.now() + REJOIN_WAIT_MS;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, REJOIN_POLL_MS));
    if (service.get(membership.username, membership.room) !== membership) return false;
    if (membership.state === 'joined' && !membership.silentRejoin) return true;
  }
  return false;
}

function isSelfPing(membership: Membership, stanza: Element, to: JID): boolean {
  return to.resource === membership.nick && stanza.attrs.type === 'get' && stanza.elements()[0]?.name === 'ping' && stanza.elements()[0]?.attrs.xmlns === PING_NS;
}

function relayResult(session: Session, message: Element): void {
  if (session.closed) return;
  const copy = message.clone();
  copy.attrs.to = session.jid!.toString();
  session.send(copy);
}

function relayed(answer: Element, id: string | undefined, session: Session): Element {
  const copy = answer.clone();
  copy.attrs.id = id;
  copy.attrs.to = session.jid!.toString();
  return copy;
}

interface RelayedRequest {
  /** The room occupant that asked, and its id. */
  from: string;
  id: string | undefined;
  membership: Membership;
}

const relayedToSessions = new Map<string, RelayedRequest>();
const RELAY_TIMEOUT_MS = 60_000;

/** An IQ get/set a room relays to the account. */
export async function iqFromRoom(service: AccountRooms, membership: Membership, stanza: Element): Promise<void> {
  // RFC 6120 §8.2.3: a get or set has exactly one payload.
  if (stanza.elements().length !== 1) throw new StanzaError('bad-request', 'an IQ get or set has exactly one child');
  const payload = stanza.elements()[0];
  if (stanza.attrs.type === 'get' && payload?.name === 'ping' && payload.attrs.xmlns === PING_NS) {
    await service.host.route(withFrom(iqResult(stanza), service.occupantFrom(membership)));
    return;
  }
  const session = membership.lastActive ?? [...membership.sessions].at(-1);
  if (!session) throw new StanzaError('service-unavailable');
  const proxyId = `ar-${randomBytes(9).toString('base64url')}`;
  relayedToSessions.set(proxyId, { from: stanza.attrs.from!, id: stanza.attrs.id, membership });
  setTimeout(() => relayedToSessions.delete(proxyId), RELAY_TIMEOUT_MS).unref();
  const copy = stanza.clone();
  copy.attrs.id = proxyId;
  copy.attrs.to = session.jid!.toString();
  session.send(copy);
}

/** A session's result/error answering an IQ relayed from a room; false when it answers nothing of ours. */
export async function answerFromSession(service: AccountRooms, session: Session, stanza: Element): Promise<boolean> {
  const relay = stanza.attrs.id === undefined ? undefined : relayedToSessions.get(stanza.attrs.id);
  if (!relay || relay.from !== stanza.attrs.to || !relay.membership.sessions.has(session)) return false;
  relayedToSessions.delete(stanza.attrs.id!);
  const answer = stanza.clone();
  answer.attrs.id = relay.id;
  await service.sendToRoom(relay.membership, answer);
  return true;
}

function withFrom(stanza: Element, from: string): Element {
  stanza.attrs.from = from;
  return stanza;
}
