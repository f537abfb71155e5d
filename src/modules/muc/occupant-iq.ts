/**
 * IQs addressed to an occupant JID (`room/nick`). A ping from an occupant
 * to its own nick is answered by the service itself, so a client checking
 * that it is still joined needs no round trip to its other sessions; other
 * IQs from occupants are relayed to the addressee's session under a fresh
 * id, and the answer is relayed back from the addressee's occupant JID.
 * Non-occupants get not-acceptable, which tells a self-pinging client it is
 * no longer joined.
 *
 * References: XEP-0045 §7.5 (IQs between occupants go through the room
 * without revealing real JIDs); XEP-0410 §3.2 (not-acceptable: not joined),
 * §3.3 (server optimisation); XEP-0199 (ping).
 */
import { randomBytes } from 'node:crypto';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { NS } from '../../core/xml/ns.js';
import { x } from '../../core/xml/element.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { MucService } from './service.js';

export const SELF_PING_FEATURE = 'http://jabber.org/protocol/muc#self-ping-optimization';

/** How long a relayed IQ waits for its answer before the room forgets it. */
const RELAY_TIMEOUT_MS = 120_000;

interface RelayedIq {
  requester: string;
  originalId: string;
  /** The session the IQ went to: only it may answer. */
  target: string;
}

const relays = new WeakMap<MucService, Map<string, RelayedIq>>();

function pendingOf(service: MucService): Map<string, RelayedIq> {
  let pending = relays.get(service);
  if (!pending) relays.set(service, (pending = new Map()));
  return pending;
}

export async function handleOccupantIq(service: MucService, event: StanzaEvent): Promise<true> {
  const type = event.stanza.attrs.type;
  if (type === 'get' || type === 'set') await relayRequest(service, event);
  else relayAnswer(service, event);
  return true;
}

async function relayRequest(service: MucService, event: StanzaEvent): Promise<void> {
  const { stanza, from, to } = event;
  const room = service.rooms.get(to.bareString());
  const sender = room?.occupantOf(from.toString());
  if (!room || !sender) throw new StanzaError('not-acceptable', 'you are not an occupant of this room');
  const payload = stanza.elements()[0];
  if (sender.nick === to.resource && stanza.attrs.type === 'get' && payload?.name === 'ping' && payload.attrs.xmlns === NS.ping) {
    answerIq(event);
    return;
  }
  const addressee = room.occupants.get(to.resource!);
  const target = addressee?.primaryJid;
  if (!addressee || !target) throw new StanzaError('item-not-found', 'no such occupant');
  const id = randomBytes(9).toString('base64url');
  const pending = pendingOf(service);
  pending.set(id, { requester: from.toString(), originalId: stanza.attrs.id!, target });
  setTimeout(() => pending.delete(id), RELAY_TIMEOUT_MS).unref();
  const relayed = x('iq', { type: stanza.attrs.type, id, from: `${room.jid}/${sender.nick}`, to: target }, ...stanza.elements().map((el) => el.clone()));
  await service.send(relayed);
}

/** A result or error for an IQ the room relayed: back to whoever asked. */
function relayAnswer(service: MucService, event: StanzaEvent): void {
  const { stanza, from, to } = event;
  const pending = pendingOf(service);
  const relay = pending.get(stanza.attrs.id ?? '');
  if (!relay || relay.target !== from.toString()) return;
  pending.delete(stanza.attrs.id!);
  const room = service.rooms.get(to.bareString());
  const answerer = room?.occupantOf(relay.target);
  // An answerer that left meanwhile can no longer be named by a nick.
  const answerFrom = answerer ? `${room!.jid}/${answerer.nick}` : to.bareString();
  const answer = x('iq', { type: stanza.attrs.type, id: relay.originalId, from: answerFrom, to: relay.requester }, ...stanza.elements().map((el) => el.clone()));
  void service.send(answer);
}
