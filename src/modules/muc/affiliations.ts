/**
 * Who may change which role or affiliation, and who may see which list:
 * the XEP's privilege tables as pure functions, plus parsing of the admin
 * `<item/>` and the admission rules (bans, members-only) applied at join.
 * No I/O: admin.ts turns the answers into stanzas.
 *
 * References: XEP-0045 §5.1.3 (role privileges), §5.2.2 (affiliation
 * privileges), §7.2.6 (members-only rooms), §7.2.7 (banned users),
 * §8.2–§8.5 (kick, voice), §9.1–§9.8 (ban, members, moderators),
 * §10.3–§10.8 (owners, admins).
 */
import { StanzaError, type StanzaErrorCondition } from '../../core/errors/stanza-error.js';
import type { Element } from '../../core/xml/element.js';
import type { Affiliation, Role } from './occupant.js';
import type { Room } from './room.js';

const ROLES: readonly Role[] = ['moderator', 'participant', 'visitor', 'none'];
const AFFILIATIONS: readonly Affiliation[] = ['owner', 'admin', 'member', 'outcast', 'none'];

/** Higher outranks lower; a user cannot act on someone of higher affiliation (§8.2). */
const RANK: Record<Affiliation, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };

export interface Actor {
  role: Role;
  affiliation: Affiliation;
}

/** One `<item/>` of a muc#admin set: a role change by nick or an affiliation change by JID. */
export type AdminItem =
  | { kind: 'role'; nick: string; role: Role; reason?: string }
  | { kind: 'affiliation'; jid?: string; nick?: string; affiliation: Affiliation; reason?: string };

const isAdminOrOwner = (affiliation: Affiliation) => affiliation === 'admin' || affiliation === 'owner';

/** Reads an item, rejecting missing targets and unknown values with bad-request. */
export function parseAdminItem(item: Element): AdminItem {
  const { role, affiliation, nick, jid } = item.attrs;
  const reason = item.getChildText('reason') ?? undefined;
  if (affiliation !== undefined) {
    if (!AFFILIATIONS.includes(affiliation as Affiliation)) throw new StanzaError('bad-request', `unknown affiliation '${affiliation}'`);
    if (!jid && !nick) throw new StanzaError('bad-request', 'an affiliation change needs a jid');
    return { kind: 'affiliation', jid: jid || undefined, nick: nick || undefined, affiliation: affiliation as Affiliation, reason };
  }
  if (role !== undefined) {
    if (!ROLES.includes(role as Role)) throw new StanzaError('bad-request', `unknown role '${role}'`);
    if (!nick) throw new StanzaError('bad-request', 'a role change needs a nick');
    return { kind: 'role', nick, role: role as Role, reason };
  }
  throw new StanzaError('bad-request', 'an item needs a role or an affiliation');
}

/**
 * Why `actor` may not give `target` the role `role`, if it may not:
 * only moderators change roles (forbidden); only admins and owners grant
 * or revoke moderator (forbidden); nobody acts on a higher affiliation,
 * and admins and owners keep their moderator role (not-allowed).
 */
export function roleChangeDenial(actor: Actor, target: Actor, role: Role): StanzaErrorCondition | undefined {
  if (actor.role !== 'moderator') return 'forbidden';
  if (RANK[target.affiliation] > RANK[actor.affiliation]) return 'not-allowed';
  if ((role === 'moderator' || target.role === 'moderator') && !isAdminOrOwner(actor.affiliation)) return 'forbidden';
  if (isAdminOrOwner(target.affiliation) && role !== 'moderator' && role !== 'none') return 'not-allowed';
  return undefined;
}

/**
 * Why `actor` may not change an affiliation from `current` to `wanted`:
 * admins and owners only (forbidden); admin and owner status only by owners
 * (forbidden); an admin cannot touch another admin or an owner (not-allowed).
 */
export function affiliationChangeDenial(actor: Affiliation, current: Affiliation, wanted: Affiliation): StanzaErrorCondition | undefined {
  if (!isAdminOrOwner(actor)) return 'forbidden';
  if (isAdminOrOwner(wanted) && actor !== 'owner') return 'forbidden';
  if (isAdminOrOwner(current) && actor !== 'owner') return 'not-allowed';
  return undefined;
}

/** Which list a muc#admin get asks for: exactly one of an affiliation or a role. */
export type ListQuery = { affiliation: Affiliation } | { role: Role };

export function parseListQuery(item: Element | undefined): ListQuery {
  const affiliation = item?.attrs.affiliation;
  const role = item?.attrs.role;
  if (affiliation && ['outcast', 'member', 'admin', 'owner'].includes(affiliation)) return { affiliation: affiliation as Affiliation };
  if (!affiliation && (role === 'moderator' || role === 'participant')) return { role };
  throw new StanzaError('bad-request', 'ask for one affiliation (outcast, member, admin, owner) or role (moderator, participant) list');
}

/**
 * Who may read a list: bans and members are for admins (§9.2, §9.5), the
 * admin and owner lists for owners (§10.5, §10.8), moderators for admins
 * (§9.8), the voice list for moderators (§8.5).
 */
export function listViewDenial(actor: Actor, query: ListQuery): StanzaErrorCondition | undefined {
  if ('role' in query) {
    if (query.role === 'participant') return actor.role === 'moderator' ? undefined : 'forbidden';
    return isAdminOrOwner(actor.affiliation) ? undefined : 'forbidden';
  }
  if (query.affiliation === 'outcast' || query.affiliation === 'member') return isAdminOrOwner(actor.affiliation) ? undefined : 'forbidden';
  return actor.affiliation === 'owner' ? undefined : 'forbidden';
}

/** The role an occupant gets after its affiliation changed (§5.1.2, §9.4, §9.7, §10.4). */
export function roleAfterAffiliation(current: Role, before: Affiliation, after: Affiliation): Role {
  if (after === 'outcast') return 'none';
  if (isAdminOrOwner(after)) return 'moderator';
  if (isAdminOrOwner(before)) return 'participant';
  return after === 'member' && current === 'visitor' ? 'participant' : current;
}

/** Members-only rooms admit members, admins and owners only (§7.2.6). */
export function isMembersOnly(room: Room): boolean {
  return room.config.membersOnly;
}

/** Bans (§7.2.7) and members-only rooms (§7.2.6) turn people away at the door. */
export function checkAdmission(room: Room, affiliation: Affiliation): void {
  if (affiliation === 'outcast') throw new StanzaError('forbidden', 'you are banned from this room');
  if (affiliation === 'none' && isMembersOnly(room)) throw new StanzaError('registration-required', 'this room is for members only');
}
