/**
 * Helpers for the account-rooms end-to-end tests: fast logins, a room made
 * by a watcher (an account of its own, room owner, so it sees real JIDs),
 * the usual cast (that room with two joined sessions of one account), joins
 * that collect the join sequence in arrival order, and predicates on what
 * arrives.
 *
 * References: XEP-0045 §7.2 (the order of a join's answer, ended by the
 * subject, §7.2.16), §10.1.2 (instant room), §10.2 (room configuration);
 * RFC 6120 §6.4 (SASL PLAIN over TLS); XEP-0402; XEP-0280.
 */
import { connect, xml, type ConnectOptions, type TestClient, type XmlElement } from './client.js';
import { MUC, errorCondition, fromRoom, isSubject } from './muc.js';
import type { TestServer } from './start-server.js';

export const SERVICE = 'rooms.localhost';

/**
 * PLAIN over direct TLS: @xmpp/client's SCRAM in JavaScript takes most of a
 * second per login, and logging in is not what these tests check.
 */
export const FAST_LOGIN = { transport: 'tls', mechanism: 'PLAIN' } as const satisfies Partial<ConnectOptions>;

export type Login = (username: string, resource: string) => Promise<TestClient>;

/** Logs in to `server` as a test account (password `<name>-secret`), with FAST_LOGIN. */
export const loginAs =
  (server: TestServer): Login =>
  (username, resource) =>
    connect(server, { username, password: `${username}-secret`, resource, ...FAST_LOGIN });

export const stopAll = (...clients: TestClient[]) => Promise.all(clients.map((c) => c.stop()));

/**
 * Sends a join and returns everything from the room up to and including the
 * subject, which ends a join, in arrival order. What the room sends after
 * the subject (a presence change, live messages) stays in the client's
 * `received` for later waits. `shown`: the join's `<show/>`/`<status/>`
 * (XEP-0045 §7.2.1).
 */
export async function joinRoom(
  client: TestClient,
  room: string,
  nick: string,
  history?: Record<string, string>,
  shown: XmlElement[] = [],
): Promise<XmlElement[]> {
  const seen: XmlElement[] = [];
  let ended!: () => void;
  const subject = new Promise<void>((resolve) => (ended = resolve));
  const listener = (el: XmlElement) => {
    if (!fromRoom(room)(el)) return;
    seen.push(el);
    if (isSubject(room)(el)) {
      client.xmpp.removeListener('stanza', listener);
      ended();
    }
  };
  // Registered after the TestClient's own listener: the client records each stanza before it lands here.
  client.xmpp.on('stanza', listener);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${client.jid}: no subject from ${room}; got:\n${seen.join('\n')}`)), 5000);
  });
  try {
    await client.send(xml('presence', { to: `${room}/${nick}` }, ...shown, xml('x', { xmlns: MUC }, history && xml('history', history))));
    await Promise.race([subject, timeout]);
  } finally {
    client.xmpp.removeListener('stanza', listener);
    clearTimeout(timer);
  }
  // The join's answer is taken out of what the client recorded, as a wait would.
  client.received.splice(0, client.received.length, ...client.received.filter((el) => !seen.includes(el)));
  return seen;
}

/** Sends a join the room should refuse; resolves with the type and error condition of the room's answer. */
export async function refusedJoin(client: TestClient, room: string, nick: string): Promise<[string | undefined, string | undefined]> {
  await client.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
  const answer = await client.waitFor(presenceFrom(`${room}/${nick}`));
  return [answer.attrs.type, errorCondition(answer)];
}

/** The watcher creates an instant room with the given config fields (muc#roomconfig_ prefix added). */
export async function createRoom(owner: TestClient, room: string, nick: string, config: Record<string, string> = {}): Promise<void> {
  await joinRoom(owner, room, nick);
  const fields = Object.entries({ FORM_TYPE: `${MUC}#roomconfig`, ...config }).map(([name, value]) =>
    xml('field', { var: name === 'FORM_TYPE' ? name : `muc#roomconfig_${name}` }, xml('value', {}, value)),
  );
  await owner.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: `${MUC}#owner` }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields))));
}

export interface WatchedRoom {
  /** A fresh account, not yet logged in, to occupy the room as Romeo. */
  romeo: string;
  room: string;
  /** `room/Romeo`. */
  occupant: string;
  /** The watcher's session, in the room as Nurse. */
  nurse: TestClient;
}

/** A fresh room `name@rooms.localhost` (with these config fields) owned by a fresh watcher account. */
export async function watchedRoom(server: TestServer, name: string, config: Record<string, string> = {}, login = loginAs(server)): Promise<WatchedRoom> {
  const [romeo, watcher] = await server.createFreshUsers('romeo', 'nurse');
  const room = `${name}@${SERVICE}`;
  const nurse = await login(watcher, 'desk');
  await createRoom(nurse, room, 'Nurse', config);
  return { romeo, room, occupant: `${room}/Romeo`, nurse };
}

export interface Cast extends WatchedRoom {
  phone: TestClient;
  laptop: TestClient;
}

/**
 * The watcher owns a fresh room (`prepare` runs before Romeo joins); Romeo's
 * phone and laptop have both joined as Romeo, the watcher saw the account
 * come in, and what arrived so far is forgotten.
 */
export async function accountRoomsCast(
  server: TestServer,
  name: string,
  config: Record<string, string> = {},
  prepare?: (nurse: TestClient, romeo: string) => Promise<unknown>,
): Promise<Cast> {
  const login = loginAs(server);
  const watched = await watchedRoom(server, name, config, login);
  await prepare?.(watched.nurse, watched.romeo);
  const phone = await login(watched.romeo, 'phone');
  const laptop = await login(watched.romeo, 'laptop');
  await joinRoom(phone, watched.room, 'Romeo');
  await joinRoom(laptop, watched.room, 'Romeo');
  await watched.nurse.waitFor(presenceFrom(watched.occupant));
  forget(watched.nurse, phone, laptop);
  return { ...watched, phone, laptop };
}

export const groupchat = (to: string, body: string, id?: string) => xml('message', { to, type: 'groupchat', id }, xml('body', {}, body));

export const presenceFrom = (from: string) => (el: XmlElement) => el.name === 'presence' && el.attrs.from === from;

/** An error stanza of this kind. */
export const isError = (name: string) => (el: XmlElement) => el.name === name && el.attrs.type === 'error';

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
