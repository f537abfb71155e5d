/**
 * Messages from a room to the account. Groupchat (live, history, subject
 * changes): archived once, then to every joined session; the subject
 * updates the room view. Private messages from occupants: archived, to
 * every joined session. MAM results go to whoever asked (a session, or the
 * server's own gap fill). Errors go to the session whose message caused
 * them; "not an occupant" marks the membership stale: rejoin, then the
 * message is sent once more. Everything else (invitations, forms) is left to
 * ordinary delivery.
 *
 * References: account-rooms spec, "Traffic from the room"; XEP-0045 §7.4
 * (groupchat), §7.5 (private messages), §8.1 (subject); XEP-0313 §4.2
 * (results carry the queryid).
 */
import type { Element } from '../../core/xml/element.js';
import type { JID } from '../../core/jid/jid.js';
import { addressedTo, type AccountRooms } from './service.js';
import type { Membership } from './membership.js';
import { forkToJoined, waitingSessions } from './fork.js';
import { archiveRoomMessage, rememberRecent, roomStanzaId, sentAt, withArchiveId } from './archive.js';
import { scheduleRejoin } from './leave.js';

const MAM_NS = 'urn:xmpp:mam:2';

/** Memberships whose silent rejoin the room accepted, until the subject that ends its join sequence arrives. */
const rejoinedAwaitingSubject = new WeakSet<Membership>();

/** A silent rejoin succeeded: the room's subject that follows is a repeat, not news. */
export function expectRejoinSubject(membership: Membership): void {
  rejoinedAwaitingSubject.add(membership);
}

/** Returns true when the message was room traffic for the membership. */
export async function handleRoomMessage(service: AccountRooms, membership: Membership, stanza: Element, from: JID): Promise<boolean> {
  const type = stanza.attrs.type ?? 'normal';
  const result = stanza.getChild('result', MAM_NS);
  if (result && from.resource === undefined) return service.takeMamResult(result.attrs.queryid, stanza);
  if (type === 'error') return messageError(service, membership, stanza);
  if (type === 'groupchat') {
    membership.lastVerified = Date.now();
    await groupchat(service, membership, stanza);
    return true;
  }
  if (type === 'chat' && from.resource !== undefined) {
    const id = await archiveRoomMessage(service, membership, stanza, undefined);
    forkToJoined(service, membership, withArchiveId(service, membership, stanza, id));
    return true;
  }
  return false;
}

async function groupchat(service: AccountRooms, membership: Membership, stanza: Element): Promise<void> {
  const isSubject = stanza.getChild('subject') !== undefined && stanza.getChild('body') === undefined;
  if (isSubject) {
    const unchanged = membership.view.subject?.getChildText('subject') === stanza.getChildText('subject');
    membership.view.subject = stanza;
    // After a silent rejoin the room repeats the subject (it ends the join, after the self-presence); the sessions already know it.
    const repeated = membership.silentRejoin || rejoinedAwaitingSubject.delete(membership);
    if (repeated && unchanged) return;
  }
  const roomId = roomStanzaId(stanza, membership.room);
  if (roomId !== undefined) {
    membership.lastStanzaId = roomId;
    membership.lastReceived = Date.now();
    service.saveSoon(membership.username);
  }
  const at = sentAt(stanza) ?? Date.now();
  const id = await archiveRoomMessage(service, membership, stanza, roomId, at);
  const copy = withArchiveId(service, membership, stanza, id);
  if (id !== undefined) rememberRecent(service, membership, stanza, id, at);
  if (membership.state === 'joining' && !membership.silentRejoin) service.forward(copy, waitingSessions(membership));
  else forkToJoined(service, membership, copy);
}

async function messageError(service: AccountRooms, membership: Membership, stanza: Element): Promise<true> {
  const sent = membership.sentWithId(stanza.attrs.id);
  const condition = stanza.getChild('error')?.elements()[0]?.name;
  if (sent && condition === 'not-acceptable' && !sent.retried && membership.state === 'joined') {
    // The room no longer counts the account as an occupant: rejoin, then try once more.
    sent.retried = true;
    membership.retryAfterRejoin.push(sent.stanza);
    scheduleRejoin(service, membership);
    return true;
  }
  if (sent && !sent.session.closed) sent.session.send(addressedTo(stanza, sent.session.jid!.toString()));
  return true;
}
