/**
 * Mediated invitations: an occupant asks the room to invite someone; the
 * room sends the invitee an invitation from the room JID naming the
 * inviter (and the room password, if any). The invitee may decline through
 * the room, which passes the decline on to whoever invited it. Declines are
 * only relayed for invitations the room actually sent, so the room cannot
 * be used to send unsolicited messages.
 *
 * References: XEP-0045 §7.8.2 (mediated invitation), §7.8.2 declining
 * (Examples 60–61), §15.2 (muc#user schema).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { tryParseJid } from '../../core/jid/jid.js';
import { x, type Element } from '../../core/xml/element.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { MUC_NS } from './ns.js';
import { checkInvitation } from './moderation.js';
import type { MucService } from './service.js';
import type { Room } from './room.js';

/** Invitee bare JID → the full JIDs of the sessions that invited it. */
const sent = new WeakMap<Room, Map<string, string[]>>();

function invitationsOf(room: Room): Map<string, string[]> {
  let map = sent.get(room);
  if (!map) sent.set(room, (map = new Map()));
  return map;
}

/** True when the message carried an invite or decline and was handled. */
export async function handleInvitationMessage(service: MucService, event: StanzaEvent): Promise<boolean> {
  const user = event.stanza.getChild('x', MUC_NS.user);
  if (!user) return false;
  const invites = user.getChildren('invite');
  const decline = user.getChild('decline');
  if (invites.length === 0 && !decline) return false;
  const room = service.rooms.get(event.to.bareString());
  if (!room || room.locked) throw new StanzaError('item-not-found', 'no such room');
  if (invites.length > 0) await sendInvitations(service, room, event, invites);
  else await relayDecline(service, room, event, decline!);
  return true;
}

function jidAttr(el: Element, name: string): string {
  const jid = tryParseJid(el.attrs[name] ?? '');
  if (!jid) throw new StanzaError('jid-malformed', `the ${el.name} needs a valid '${name}' JID`);
  return jid.toString();
}

async function sendInvitations(service: MucService, room: Room, event: StanzaEvent, invites: Element[]): Promise<void> {
  const inviter = event.from.toString();
  const occupant = room.occupantOf(inviter);
  if (!occupant) throw new StanzaError('not-acceptable', 'only occupants may invite');
  checkInvitation(room, occupant);
  const invitees = invites.map((invite) => ({ to: jidAttr(invite, 'to'), reason: invite.getChild('reason') }));
  // Read loosely: the password settings belong to the room configuration (config.ts).
  const config = room.config as { passwordProtected?: boolean; password?: string };
  const password = config.passwordProtected ? config.password : undefined;
  for (const { to, reason } of invitees) {
    remember(room, tryParseJid(to)!.bareString(), inviter);
    const user = x('x', { xmlns: MUC_NS.user }, x('invite', { from: inviter }, reason?.clone()), password ? x('password', {}, password) : undefined);
    await service.send(x('message', { from: room.jid, to, id: event.stanza.attrs.id }, user));
  }
}

function remember(room: Room, invitee: string, inviter: string): void {
  const map = invitationsOf(room);
  const inviters = map.get(invitee) ?? [];
  if (!inviters.includes(inviter)) inviters.push(inviter);
  map.set(invitee, inviters);
}

/** A decline goes to the inviter it names (or the last one), if it invited this JID. */
async function relayDecline(service: MucService, room: Room, event: StanzaEvent, decline: Element): Promise<void> {
  const invitee = event.from.bareString();
  const inviters = invitationsOf(room).get(invitee) ?? [];
  const named = decline.attrs.to === undefined ? undefined : tryParseJid(decline.attrs.to);
  if (decline.attrs.to !== undefined && !named) throw new StanzaError('jid-malformed', 'invalid decline target');
  const inviter = named
    ? inviters.find((jid) => jid === named.toString() || tryParseJid(jid)!.bareString() === named.toString())
    : inviters.at(-1);
  if (!inviter) throw new StanzaError('not-acceptable', 'there is no invitation to decline');
  invitationsOf(room).set(invitee, inviters.filter((jid) => jid !== inviter));
  const reason = decline.getChild('reason')?.clone();
  const user = x('x', { xmlns: MUC_NS.user }, x('decline', { from: invitee }, reason));
  await service.send(x('message', { from: room.jid, to: inviter, id: event.stanza.attrs.id }, user));
}
