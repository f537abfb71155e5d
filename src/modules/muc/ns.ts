/**
 * Namespaces of the multi-user chat service.
 *
 * References: XEP-0045 §19 (namespaces); XEP-0359 §3; XEP-0421 §3.
 */
export const MUC_NS = {
  muc: 'http://jabber.org/protocol/muc',
  user: 'http://jabber.org/protocol/muc#user',
  owner: 'http://jabber.org/protocol/muc#owner',
  roomInfo: 'http://jabber.org/protocol/muc#roominfo',
  stanzaId: 'urn:xmpp:sid:0',
  occupantId: 'urn:xmpp:occupant-id:0',
} as const;

/** Status codes this service sends (XEP-0045 §15.6, the registrar's list). */
export const STATUS = {
  nonAnonymous: 100,
  self: 110,
  /** The room is logged (here: archived, XEP-0313 on the room JID). */
  logged: 170,
  newRoom: 201,
  /** The service assigned or modified the occupant's nick. */
  nickAssigned: 210,
  nickChanged: 303,
  kicked: 307,
} as const;
