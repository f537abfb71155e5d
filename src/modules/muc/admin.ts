/**
 * The muc#admin IQs: role changes by nick (kick, voice, moderator) and
 * affiliation changes by JID (ban, member, admin, owner, none), with the
 * presence every occupant sees (301/307/321, actor and reason), and the
 * lists by affiliation or role. The rules themselves are in affiliations.ts.
 *
 * References: XEP-0045 §8.2–§8.5 (kick, voice), §9.1–§9.8 (ban, members,
 * moderators), §10.3–§10.8 (owners, admins), §15.6 (status codes).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { MUC_NS } from './ns.js';
import { presenceToAll } from './presence.js';
import { roomFor } from './owner.js';
import {
  affiliationChangeDenial,
  isMembersOnly,
  listViewDenial,
  parseAdminItem,
  parseListQuery,
  roleAfterAffiliation,
  roleChangeDenial,
  type Actor,
  type AdminItem,
} from './affiliations.js';
import type { MucService } from './service.js';
import type { Affiliation, Occupant } from './occupant.js';
import type { Room } from './room.js';

const ADMIN_NS = 'http://jabber.org/protocol/muc#admin';
const BANNED = 301;
const KICKED = 307;
const REMOVED_NOT_MEMBER = 321;

/** Service admins are owners of every room, whatever the room says. */
function affiliationIn(service: MucService, room: Room, bareJid: string): Affiliation {
  return service.isAdmin(bareJid) ? 'owner' : room.affiliationOf(bareJid);
}

function actorOf(service: MucService, room: Room, event: StanzaEvent): Actor & { nick?: string } {
  const occupant = room.occupantOf(event.from.toString());
  return { role: occupant?.role ?? 'none', affiliation: affiliationIn(service, room, event.from.bareString()), nick: occupant?.nick };
}

function deny(condition: ReturnType<typeof roleChangeDenial>): void {
  if (condition) throw new StanzaError(condition, 'you may not do that here');
}

/** A planned change, validated before anything is applied so a batch is all or nothing. */
type Change =
  | { kind: 'role'; item: AdminItem & { kind: 'role' }; target: Occupant }
  | { kind: 'affiliation'; item: AdminItem & { kind: 'affiliation' }; bareJid: string };

function plan(service: MucService, room: Room, actor: Actor, item: AdminItem): Change {
  if (item.kind === 'role') {
    const target = room.occupants.get(item.nick);
    if (!target) throw new StanzaError('item-not-found', `no occupant '${item.nick}'`);
    deny(roleChangeDenial(actor, { role: target.role, affiliation: affiliationIn(service, room, target.bareJid) }, item.role));
    return { kind: 'role', item, target };
  }
  const bareJid = item.jid ? item.jid.split('/')[0].toLowerCase() : room.occupants.get(item.nick!)?.bareJid;
  if (!bareJid) throw new StanzaError('item-not-found', `no occupant '${item.nick}'`);
  deny(affiliationChangeDenial(actor.affiliation, affiliationIn(service, room, bareJid), item.affiliation));
  if (service.isAdmin(bareJid)) throw new StanzaError('not-allowed', 'service administrators own every room');
  return { kind: 'affiliation', item, bareJid };
}

export async function handleAdminSet(service: MucService, event: StanzaEvent): Promise<true> {
  const room = roomFor(service, event);
  const actor = actorOf(service, room, event);
  const items = iqPayload(event.stanza).getChildren('item');
  if (items.length === 0) throw new StanzaError('bad-request', 'no item');
  const changes = items.map((item) => plan(service, room, actor, parseAdminItem(item)));
  refuseOwnerlessRoom(room, changes);
  for (const change of changes) {
    if (change.kind === 'role') await applyRole(service, room, change.target, change.item, actor.nick);
    else await applyAffiliation(service, room, change.bareJid, change.item, actor.nick);
  }
  answerIq(event);
  service.forgetIfEmpty(room);
  return true;
}

/** A room keeps at least one owner (§10.5: the sole owner cannot step down). */
function refuseOwnerlessRoom(room: Room, changes: Change[]): void {
  const demoted = new Set<string>();
  for (const c of changes) if (c.kind === 'affiliation' && c.item.affiliation !== 'owner') demoted.add(c.bareJid);
  const owners = [...room.affiliations].filter(([jid, a]) => a === 'owner' && !demoted.has(jid));
  const promoted = changes.some((c) => c.kind === 'affiliation' && c.item.affiliation === 'owner');
  const hadOwner = [...room.affiliations.values()].includes('owner');
  if (hadOwner && owners.length === 0 && !promoted) throw new StanzaError('conflict', 'a room needs an owner');
}

/** Adds `<actor nick/>` and `<reason/>` to the muc#user item of each presence. */
function decorated(presences: Element[], actorNick?: string, reason?: string): Element[] {
  for (const presence of presences) {
    const item = presence.getChild('x', MUC_NS.user)?.getChild('item');
    item?.append(actorNick !== undefined ? x('actor', { nick: actorNick }) : undefined, reason !== undefined ? x('reason', {}, reason) : undefined);
  }
  return presences;
}

/** Everyone sees the occupant leave with `status`; then its sessions are gone. */
async function removeOccupant(service: MucService, room: Room, occupant: Occupant, status: number, actorNick?: string, reason?: string): Promise<void> {
  const presences = decorated(presenceToAll(room, occupant, { type: 'unavailable', statuses: [status] }), actorNick, reason);
  room.remove(occupant);
  await service.send(...presences);
}

async function applyRole(service: MucService, room: Room, target: Occupant, item: AdminItem & { kind: 'role' }, actorNick?: string): Promise<void> {
  if (!room.occupants.has(target.nick)) return;
  if (item.role === 'none') return removeOccupant(service, room, target, KICKED, actorNick, item.reason);
  target.role = item.role;
  await service.send(...decorated(presenceToAll(room, target), actorNick, item.reason));
}

async function applyAffiliation(service: MucService, room: Room, bareJid: string, item: AdminItem & { kind: 'affiliation' }, actorNick?: string): Promise<void> {
  if (item.affiliation === 'none') room.affiliations.delete(bareJid);
  else room.affiliations.set(bareJid, item.affiliation);
  const occupant = [...room.occupants.values()].find((o) => o.bareJid === bareJid);
  if (!occupant) return;
  const before = occupant.affiliation;
  occupant.affiliation = item.affiliation;
  if (item.affiliation === 'outcast') return removeOccupant(service, room, occupant, BANNED, actorNick, item.reason);
  if (item.affiliation === 'none' && isMembersOnly(room)) return removeOccupant(service, room, occupant, REMOVED_NOT_MEMBER, actorNick, item.reason);
  occupant.role = roleAfterAffiliation(occupant.role, before, item.affiliation);
  await service.send(...decorated(presenceToAll(room, occupant), actorNick, item.reason));
}

export function handleAdminGet(service: MucService, event: StanzaEvent): true {
  const room = roomFor(service, event);
  const query = parseListQuery(iqPayload(event.stanza).getChild('item'));
  deny(listViewDenial(actorOf(service, room, event), query));
  const items =
    'role' in query
      ? [...room.occupants.values()]
          .filter((o) => o.role === query.role)
          .map((o) => x('item', { affiliation: o.affiliation, jid: o.bareJid, nick: o.nick, role: o.role }))
      : [...room.affiliations]
          .filter(([, affiliation]) => affiliation === query.affiliation)
          .map(([jid, affiliation]) => x('item', { affiliation, jid }));
  return answerIq(event, x('query', { xmlns: ADMIN_NS }, ...items));
}
