/**
 * Moderated rooms: visitors ask for voice with the `muc#request` form sent
 * to the room; the room forwards an approval form to every moderator; a
 * moderator who submits it with `muc#request_allow` true grants voice
 * (role participant, announced to everyone). Also the room settings that
 * decide who may send private messages and who may invite.
 *
 * References: XEP-0045 §7.13 (requesting voice), §8.6 (approving voice
 * requests), §7.5 (private messages, muc#roomconfig_allowpm), §7.8.2
 * (mediated invitations, muc#roomconfig_allowinvites), §15.5.2 (the
 * muc#request FORM_TYPE); XEP-0004 (data forms).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { presenceToAll } from './presence.js';
import type { MucService } from './service.js';
import type { Occupant } from './occupant.js';
import type { Room } from './room.js';

export const REQUEST_FORM_TYPE = 'http://jabber.org/protocol/muc#request';

/** Field values of a submitted form, by var. */
function formValues(form: Element): Map<string, string> {
  const values = new Map<string, string>();
  for (const field of form.getChildren('field')) if (field.attrs.var) values.set(field.attrs.var, field.getChildText('value') ?? '');
  return values;
}

/** The `muc#request` form a message carries, if any. */
function requestForm(stanza: Element): Map<string, string> | undefined {
  const form = stanza.getChild('x', NS.dataForms);
  if (!form || form.attrs.type !== 'submit') return undefined;
  const values = formValues(form);
  return values.get('FORM_TYPE') === REQUEST_FORM_TYPE ? values : undefined;
}

/** True when the message was a voice request or an approval, and was handled. */
export async function handleVoiceMessage(service: MucService, event: StanzaEvent): Promise<boolean> {
  const values = requestForm(event.stanza);
  if (!values) return false;
  const room = service.rooms.get(event.to.bareString());
  if (!room || room.locked) throw new StanzaError('item-not-found', 'no such room');
  const sender = room.occupantOf(event.from.toString());
  if (!sender) throw new StanzaError('not-acceptable', 'only occupants may ask for voice');
  if (values.has('muc#request_allow')) await approve(service, room, sender, values);
  else await forwardRequest(service, room, sender, event.from.toString());
  return true;
}

const field = (name: string, type: string, label: string, value: string) => x('field', { var: name, type, label }, x('value', {}, value));

/** The approval form moderators receive (§8.6, Example 185). */
export function approvalForm(nick: string, realJid: string): Element {
  return x(
    'x',
    { xmlns: NS.dataForms, type: 'form' },
    x('title', {}, 'Voice request'),
    x('instructions', {}, `To approve this request for voice, select the "Grant voice to this person?" checkbox and click OK. To skip this request, click the cancel button.`),
    x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, REQUEST_FORM_TYPE)),
    field('muc#role', 'list-single', 'Requested role', 'participant'),
    field('muc#jid', 'jid-single', 'User ID', realJid),
    field('muc#roomnick', 'text-single', 'Room Nickname', nick),
    field('muc#request_allow', 'boolean', 'Grant voice to this person?', 'false'),
  );
}

/** Only visitors need voice; a request from anyone else changes nothing. */
async function forwardRequest(service: MucService, room: Room, sender: Occupant, session: string): Promise<void> {
  if (sender.role !== 'visitor') return;
  const out: Element[] = [];
  for (const moderator of room.occupants.values()) {
    if (!moderator.isModerator) continue;
    for (const to of moderator.sessions.keys()) out.push(x('message', { from: room.jid, to }, approvalForm(sender.nick, session)));
  }
  await service.send(...out);
}

async function approve(service: MucService, room: Room, moderator: Occupant, values: Map<string, string>): Promise<void> {
  if (!moderator.isModerator) throw new StanzaError('forbidden', 'only moderators may grant voice');
  const allow = values.get('muc#request_allow');
  if (allow !== 'true' && allow !== '1') return;
  const target = room.occupants.get(values.get('muc#roomnick') ?? '');
  if (!target) throw new StanzaError('item-not-found', 'no such occupant');
  if (target.role !== 'visitor') return;
  target.role = 'participant';
  await service.send(...presenceToAll(room, target));
}

/** Who may send private messages under the room's `allowPm` setting (§7.5); forbidden otherwise. */
export function checkPrivateMessage(room: Room, sender: Occupant): void {
  const policy = room.config.allowPm;
  const allowed =
    policy === 'anyone' ||
    (policy === 'participants' && (sender.role === 'participant' || sender.isModerator)) ||
    (policy === 'moderators' && sender.isModerator);
  if (!allowed) throw new StanzaError('forbidden', 'private messages are not allowed in this room');
}

/**
 * In a members-only room that does not let occupants invite, only admins
 * and owners may (§7.8.2: they can add the invitee to the member list).
 */
export function checkInvitation(room: Room, inviter: Occupant): void {
  if (room.config.allowInvites || !room.config.membersOnly) return;
  if (inviter.affiliation === 'admin' || inviter.affiliation === 'owner') return;
  throw new StanzaError('forbidden', 'only admins may invite to this room');
}
