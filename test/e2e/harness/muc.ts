/** Stanza predicates and accessors shared by the MUC end-to-end tests. */
import type { XmlElement } from './client.js';

export const MUC = 'http://jabber.org/protocol/muc';

/**
 * Server config for tests of the MUC service itself: every session is its
 * own occupant (account rooms off), as with any plain XEP-0045 server.
 */
export const PLAIN_MUC = { account_rooms: { enabled: false } };
export const MUC_USER = `${MUC}#user`;

/** The status codes of a MUC presence or message, in order. */
export const statusCodes = (el: XmlElement) => el.getChild('x', MUC_USER)?.getChildren('status').map((s) => s.attrs.code) ?? [];
/** The `<item/>` of a MUC presence. */
export const item = (el: XmlElement) => el.getChild('x', MUC_USER)!.getChild('item')!;
export const fromRoom = (room: string) => (el: XmlElement) => el.attrs.from === room || el.attrs.from?.startsWith(`${room}/`) === true;
export const isSubject = (room: string) => (el: XmlElement) =>
  fromRoom(room)(el) && el.name === 'message' && el.getChild('subject') !== undefined && !el.getChild('body');
export const isBody = (body: string) => (el: XmlElement) => el.name === 'message' && el.getChildText('body') === body;
/** The defined condition of an error stanza. */
export const errorCondition = (el: XmlElement) =>
  el.getChild('error')?.children.find((c): c is XmlElement => typeof c !== 'string')?.name;
