/**
 * Reserved nicks: a user registers with a room (`jabber:iq:register`, the
 * `muc#register` form) and the nick becomes theirs in that room: anyone
 * else joining or renaming to it gets `conflict`. Registering makes the
 * user a member. A client finds its reserved nick with disco#info on the
 * node `x-roomuser-item`.
 *
 * A registered user who enters under another nick is given the reserved
 * one (the service may rewrite a newcomer's nick, and then says so with
 * status 210 in the self-presence; join.ts) unless the account is already
 * in the room under the nick it asked for (a further session joins that
 * occupant) or someone else holds the reserved nick. Nick changes once in
 * the room stay free.
 *
 * References: XEP-0045 §7.10 (registering with a room), §7.11 (getting
 * the reserved nick), §7.2.3 (the service may rewrite the roomnick, 210),
 * §7.2.9 (nick conflicts), §15.5.1 (muc#register FORM_TYPE), §15.6
 * (status 210); XEP-0077 (in-band registration); XEP-0030 (disco#info).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { infoQuery } from '../disco/info.js';
import { checkNick } from './limits.js';
import { roleAfterAffiliation } from './affiliations.js';
import { presenceToAll } from './presence.js';
import { roomFor } from './owner.js';
import type { MucService } from './service.js';
import type { Room } from './room.js';

export const REGISTER_FORM_TYPE = 'http://jabber.org/protocol/muc#register';
export const ROOMUSER_NODE = 'x-roomuser-item';
const NICK_FIELD = 'muc#register_roomnick';

/** The account that reserved `nick` in `room`, if any. */
export function reservedBy(room: Room, nick: string): string | undefined {
  for (const [bareJid, reserved] of room.reservedNicks) if (reserved === nick) return bareJid;
  return undefined;
}

/** Conflict when `nick` is reserved by an account other than `bareJid`. */
export function checkReservedNick(room: Room, bareJid: string, nick: string): void {
  const holder = reservedBy(room, nick);
  if (holder !== undefined && holder !== bareJid) throw new StanzaError('conflict', 'that nickname is reserved');
}

/**
 * The nick a joining account gets: its reserved nick when it asked for
 * another, except when it is already an occupant under the nick it asked
 * for, or the reserved nick is held by someone else's occupant.
 */
export function assignedNick(room: Room, bareJid: string, requested: string): string {
  const reserved = room.reservedNicks.get(bareJid);
  if (reserved === undefined || reserved === requested) return requested;
  if (room.occupants.get(requested)?.bareJid === bareJid) return requested;
  const holder = room.occupants.get(reserved);
  return holder && holder.bareJid !== bareJid ? requested : reserved;
}

function registrationForm(): Element {
  return x(
    'x',
    { xmlns: NS.dataForms, type: 'form' },
    x('title', {}, 'Room registration'),
    x('instructions', {}, 'Choose the nickname to reserve in this room.'),
    x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, REGISTER_FORM_TYPE)),
    x('field', { var: NICK_FIELD, type: 'text-single', label: 'Desired Nickname' }, x('required')),
  );
}

/** The form, or `<registered/>` with the nick when the user already has one. */
export function handleRegisterGet(service: MucService, event: StanzaEvent): true {
  const room = usableRoom(service, event);
  const nick = room.reservedNicks.get(event.from.bareString());
  if (nick !== undefined) return answerIq(event, x('query', { xmlns: NS.register }, x('registered'), x('username', {}, nick)));
  return answerIq(event, x('query', { xmlns: NS.register }, x('instructions', {}, 'Reserve a nickname in this room.'), registrationForm()));
}

function usableRoom(service: MucService, event: StanzaEvent): Room {
  const room = roomFor(service, event);
  if (room.locked) throw new StanzaError('item-not-found', 'no such room');
  if (room.affiliationOf(event.from.bareString()) === 'outcast') throw new StanzaError('forbidden', 'you are banned from this room');
  return room;
}

function submittedNick(query: Element): string {
  const form = query.getChild('x', NS.dataForms);
  if (!form || form.attrs.type !== 'submit') throw new StanzaError('bad-request', 'submit the muc#register form');
  const values = new Map(form.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value') ?? '']));
  if (values.has('FORM_TYPE') && values.get('FORM_TYPE') !== REGISTER_FORM_TYPE) throw new StanzaError('bad-request', 'not a muc#register form');
  if (!values.get(NICK_FIELD)) throw new StanzaError('not-acceptable', 'a nickname is required');
  return checkNick(values.get(NICK_FIELD));
}

/** Registers (or with `<remove/>`, forgets) the sender's reserved nick. */
export async function handleRegisterSet(service: MucService, event: StanzaEvent): Promise<true> {
  const room = usableRoom(service, event);
  const bareJid = event.from.bareString();
  const query = iqPayload(event.stanza);
  if (query.getChild('remove')) {
    room.reservedNicks.delete(bareJid);
    await service.saveRoom(room.jid);
    return answerIq(event);
  }
  const nick = submittedNick(query);
  const holder = room.occupants.get(nick);
  if ((holder && holder.bareJid !== bareJid) || (reservedBy(room, nick) ?? bareJid) !== bareJid) {
    throw new StanzaError('conflict', 'that nickname is taken');
  }
  room.reservedNicks.set(bareJid, nick);
  answerIq(event);
  await makeMember(service, room, bareJid);
  return true;
}

/** A registered user joins the member list, and an occupant sees its new affiliation. */
async function makeMember(service: MucService, room: Room, bareJid: string): Promise<void> {
  if (room.affiliationOf(bareJid) !== 'none') return;
  room.affiliations.set(bareJid, 'member');
  for (const occupant of room.occupants.values()) {
    if (occupant.bareJid !== bareJid) continue;
    occupant.role = roleAfterAffiliation(occupant.role, occupant.affiliation, 'member');
    occupant.affiliation = 'member';
    await service.send(...presenceToAll(room, occupant));
  }
  await service.saveRoom(room.jid);
}

/** disco#info on `x-roomuser-item`: the sender's reserved nick as the identity name (§7.11). */
export function handleRoomUserItem(service: MucService, event: StanzaEvent): true | undefined {
  if (iqPayload(event.stanza).attrs.node !== ROOMUSER_NODE) return undefined;
  const room = roomFor(service, event);
  const nick = room.reservedNicks.get(event.from.bareString());
  const identities = nick === undefined ? [] : [{ category: 'conference', type: 'text', name: nick }];
  return answerIq(event, infoQuery({ identities, features: [] }, ROOMUSER_NODE));
}
