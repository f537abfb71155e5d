/**
 * Discovery of the service and its rooms: the service's items are its
 * public (unlocked) rooms; a room's info lists its identity, the features
 * describing its configuration and the `muc#roominfo` form.
 *
 * References: XEP-0045 §6.1–§6.4 (discovering rooms and room info), §15.5
 * (features), §15.5.4 (muc#roominfo); XEP-0128.
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { infoQuery, itemsQuery } from '../disco/info.js';
import { MUC_NS } from './ns.js';
import { SELF_PING_FEATURE } from './occupant-iq.js';
import { roomFor } from './owner.js';
import { configFeatures } from './config.js';
import { MAM } from '../mam/ns.js';
import type { MucService } from './service.js';
import type { Room } from './room.js';

function noNode(event: StanzaEvent): void {
  if (iqPayload(event.stanza).attrs.node !== undefined) throw new StanzaError('item-not-found');
}

export function serviceItems(service: MucService, event: StanzaEvent): true {
  noNode(event);
  const rooms = [...service.rooms.values()].filter((room) => room.config.public && !room.locked);
  return answerIq(event, itemsQuery(rooms.map((room) => ({ jid: room.jid, name: room.name }))));
}

export function roomFeatures(room: Room): string[] {
  return [
    MUC_NS.muc,
    MUC_NS.stanzaId,
    MUC_NS.occupantId,
    SELF_PING_FEATURE,
    NS.discoInfo,
    ...configFeatures(room.config),
    // XEP-0313 §7: the room JID holds an archive, with the #extended filters (before-id, after-id, ids).
    ...(room.config.archive ? [MAM.ns, MAM.extended] : []),
  ];
}

function roomInfoForm(room: Room): Element {
  const field = (name: string, value: string, label?: string) => x('field', { var: name, label }, x('value', {}, value));
  return x(
    'x',
    { xmlns: NS.dataForms, type: 'result' },
    x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, MUC_NS.roomInfo)),
    field('muc#roominfo_occupants', String(room.occupants.size), 'Number of occupants'),
    field('muc#roominfo_subject', room.subject?.text ?? '', 'Subject'),
    field('muc#roominfo_subjectmod', room.config.changeSubject ? '1' : '0', 'Occupants may change the subject'),
    field('muc#roomconfig_roomname', room.name, 'Name'),
  );
}

export function roomInfo(service: MucService, event: StanzaEvent): true {
  noNode(event);
  const room = roomFor(service, event);
  if (room.locked) throw new StanzaError('item-not-found', 'no such room');
  const identities = [{ category: 'conference', type: 'text', name: room.name }];
  return answerIq(event, infoQuery({ identities, features: roomFeatures(room), extensions: [roomInfoForm(room)] }));
}

/** Occupant lists are not disclosed through disco (§6.5 allows an empty list). */
export function roomItems(service: MucService, event: StanzaEvent): true {
  noNode(event);
  const room = roomFor(service, event);
  if (room.locked) throw new StanzaError('item-not-found', 'no such room');
  return answerIq(event, itemsQuery([]));
}
