/**
 * Helpers for the account-rooms end-to-end tests: a room made by a watcher
 * (an account of its own, room owner, so it sees real JIDs), joins that
 * collect the join sequence, and predicates on what arrives.
 */
import { xml, type TestClient, type XmlElement } from './client.js';
import { MUC, fromRoom, isSubject } from './muc.js';

export const SERVICE = 'rooms.localhost';

/**
 * Sends a join and returns everything from the room up to and including the
 * subject, in order. `shown`: the join's `<show/>`/`<status/>` (XEP-0045 §7.2.1).
 */
export async function joinRoom(
  client: TestClient,
  room: string,
  nick: string,
  history?: Record<string, string>,
  shown: XmlElement[] = [],
): Promise<XmlElement[]> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, ...shown, xml('x', { xmlns: MUC }, history && xml('history', history))));
  const subject = await client.waitFor(isSubject(room), 5000, `subject of ${room}`);
  const before = client.received.filter(fromRoom(room));
  client.received.splice(0, client.received.length, ...client.received.filter((el) => !fromRoom(room)(el)));
  return [...before, subject];
}

/** The watcher creates an instant room with the given config fields (muc#roomconfig_ prefix added). */
export async function createRoom(owner: TestClient, room: string, nick: string, config: Record<string, string> = {}): Promise<void> {
  await joinRoom(owner, room, nick);
  const fields = Object.entries({ FORM_TYPE: `${MUC}#roomconfig`, ...config }).map(([name, value]) =>
    xml('field', { var: name === 'FORM_TYPE' ? name : `muc#roomconfig_${name}` }, xml('value', {}, value)),
  );
  await owner.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields))));
}

export const groupchat = (to: string, body: string, id?: string) => xml('message', { to, type: 'groupchat', id }, xml('body', {}, body));

export const presenceFrom = (from: string) => (el: XmlElement) => el.name === 'presence' && el.attrs.from === from;

/** Drops what arrived so far (after a step whose noise the test does not check). */
export function forget(...clients: TestClient[]): void {
  for (const client of clients) client.received.length = 0;
}

export const BOOKMARKS = 'urn:xmpp:bookmarks:1';
export const CARBONS = 'urn:xmpp:carbons:2';
export const PING = 'urn:xmpp:ping';

/** Turns on XEP-0280 carbons for one session. */
export async function enableCarbons(client: TestClient): Promise<void> {
  await client.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: CARBONS })));
}

/** The account's XEP-0402 bookmark of `room` (its `<conference/>`), read with a pubsub items query. */
export async function bookmarkOf(client: TestClient, room: string): Promise<XmlElement | undefined> {
  const pubsub = xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: BOOKMARKS }));
  const result = await client.iq(xml('iq', { type: 'get' }, pubsub));
  const items = result.getChild('pubsub')?.getChild('items')?.getChildren('item') ?? [];
  return items.find((i) => i.attrs.id === room)?.getChild('conference', BOOKMARKS);
}

/** A stanza of this kind from `from` (any type). */
export const stanzaFrom = (name: string, from: string) => (el: XmlElement) => el.name === name && el.attrs.from === from;

/** The `<show/>` and `<status/>` children of a presence (none for plain available). */
export const shown = (show?: string, status?: string): XmlElement[] =>
  [show === undefined ? undefined : xml('show', {}, show), status === undefined ? undefined : xml('status', {}, status)].filter(
    (el): el is XmlElement => el !== undefined,
  );

/** How a presence reads: type, show and status, `-` for none (`available away gone fishing`). */
export const reads = (el: XmlElement): string =>
  [el.attrs.type ?? 'available', el.getChildText('show') ?? '-', el.getChildText('status') ?? '-'].join(' ');

/**
 * Like joinRoom, but keeps the exact arrival order: everything from the room
 * up to and including the subject (a stanza arriving in the same read as the
 * subject stays after it).
 */
export async function joinInOrder(client: TestClient, room: string, nick: string, timeoutMs = 5000): Promise<XmlElement[]> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
  const deadline = Date.now() + timeoutMs;
  while (!client.received.some(isSubject(room))) {
    if (Date.now() > deadline) throw new Error(`${client.jid}: no subject from ${room}; got:\n${client.received.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const end = client.received.findIndex(isSubject(room));
  const sequence = client.received.slice(0, end + 1).filter(fromRoom(room));
  client.received.splice(0, end + 1, ...client.received.slice(0, end).filter((el) => !fromRoom(room)(el)));
  return sequence;
}
