/**
 * A later session joining a room its account already occupies, answered
 * without any traffic to the room, in XEP-0045 order: every other
 * occupant's presence, the account's own presence last (110, the room's
 * other codes, 210 when the session asked for another nick), history
 * honouring the session's `<history/>` (from the recent room messages kept
 * in memory, or from the account's archive when they cannot say), then the
 * subject (empty when none). Live room messages arriving meanwhile are held
 * and follow the history, so nothing is missed or doubled.
 *
 * References: account-rooms spec, "Session joins a room" 2, "Nicknames";
 * XEP-0045 §7.2.3–§7.2.16, §15.6 (status 110, 210); XEP-0203 (delay).
 */
import { x, type Element } from '../../core/xml/element.js';
import type { Session } from '../../core/session/session.js';
import { MUC_NS } from '../muc/ns.js';
import { parseHistoryRequest, selectHistory, type HistoryEntry, type HistoryRequest } from '../muc/history.js';
import { fillRecent, historyFromItem, NOT_HISTORY_TYPES } from './recent-history.js';
import { addressedTo, type AccountRooms } from './service.js';
import { withArchiveId } from './archive.js';
import type { Membership } from './membership.js';
import { updateRoomPresence } from './presence.js';

const STATUS_SELF = '110';
const STATUS_NICK_ASSIGNED = '210';
/** Codes that described the account's first entry, not the room: not repeated to later sessions. */
const ENTRY_ONLY_CODES = new Set(['201', '210']);

export async function answerLocally(
  service: AccountRooms,
  membership: Membership,
  session: Session,
  join: Element,
  askedNick: string,
): Promise<void> {
  const to = session.jid!.toString();
  // A session joining again is answered afresh, not forked to twice meanwhile.
  if (membership.sessions.has(session)) service.detach(membership, session);
  const held: Element[] = [];
  let history: Element[] = [];
  membership.replaying.set(session, held);
  try {
    for (const presence of membership.view.occupants.values()) session.send(addressedTo(presence, to));
    session.send(selfPresence(membership, to, askedNick !== membership.nick));
    history = await historyFor(service, membership, historyRequest(membership, join));
    for (const message of history) session.send(addressedTo(message, to));
    session.send(subjectFor(membership, to));
  } finally {
    membership.replaying.delete(session);
  }
  if (session.closed) return;
  sendHeld(session, held, history, accountJid(service, membership));
  service.attach(membership, session);
  await updateRoomPresence(service, membership);
}

/** The live room traffic held meanwhile; a message archived while the history was read can be in both: sent once. */
function sendHeld(session: Session, held: Element[], history: Element[], account: string): void {
  const shown = new Set(history.map((message) => archiveIdOf(message, account)));
  for (const message of held) {
    const id = archiveIdOf(message, account);
    if (id === undefined || !shown.has(id)) session.send(message);
  }
}

/** The join's `<history/>`; none at all means the room's default. */
function historyRequest(membership: Membership, join: Element): HistoryRequest {
  const wanted = parseHistoryRequest(join.getChild('x', MUC_NS.muc)?.getChild('history'));
  if (wanted.maxstanzas === undefined && wanted.maxchars === undefined && wanted.seconds === undefined && wanted.since === undefined) {
    wanted.maxstanzas = membership.view.historyStanzas;
  }
  return wanted;
}

function selfPresence(membership: Membership, to: string, nickAssigned: boolean): Element {
  const base = membership.view.self ?? x('presence', {}, x('x', { xmlns: MUC_NS.user }, x('item', { affiliation: 'none', role: 'participant' })));
  const presence = base.clone();
  presence.attrs.from = membership.occupantJid;
  presence.attrs.to = to;
  delete presence.attrs.id;
  let userX = presence.getChild('x', MUC_NS.user);
  if (!userX) presence.append((userX = x('x', { xmlns: MUC_NS.user })));
  userX.children = userX.children.filter((child) => typeof child === 'string' || child.name !== 'status' || !ENTRY_ONLY_CODES.has(child.attrs.code ?? ''));
  if (!userX.getChildren('status').some((s) => s.attrs.code === STATUS_SELF)) userX.append(x('status', { code: STATUS_SELF }));
  if (nickAssigned) userX.append(x('status', { code: STATUS_NICK_ASSIGNED }));
  return presence;
}

/** From the recent history in memory when it can say (filled on first use), else from the archive. */
async function historyFor(service: AccountRooms, membership: Membership, wanted: HistoryRequest): Promise<Element[]> {
  if (wanted.maxstanzas === 0) return [];
  const { recent } = membership.view;
  if (!recent.loaded) await fillRecent(service, membership);
  const withId = (message: Element, id: string) => withArchiveId(service, membership, message, id);
  const context = { room: membership.room, account: accountJid(service, membership), withId };
  return recent.select(wanted, context) ?? historyFromArchive(service, membership, wanted);
}

async function historyFromArchive(service: AccountRooms, membership: Membership, wanted: HistoryRequest): Promise<Element[]> {
  const start = wanted.seconds !== undefined ? Date.now() - wanted.seconds * 1000 : wanted.since?.getTime();
  const query = { with: membership.room, start, excludeTypes: NOT_HISTORY_TYPES, limit: wanted.maxstanzas ?? 200, reverse: true };
  const page = await service.deps.mam.store.query(membership.username, query);
  const account = accountJid(service, membership);
  const entries: HistoryEntry[] = [];
  for (const item of page.items) {
    const stanza = historyFromItem(item, membership.room, account);
    if (stanza) entries.push({ stanza, at: new Date(item.when) });
  }
  return selectHistory(entries, wanted).map((entry) => entry.stanza);
}

const accountJid = (service: AccountRooms, membership: Membership) => `${membership.username}@${service.host.name}`;

/** The id the account's archive gave a room message (its stanza-id `by` the account). */
function archiveIdOf(message: Element, account: string): string | undefined {
  return message.getChildren('stanza-id', MUC_NS.stanzaId).find((el) => el.attrs.by === account)?.attrs.id;
}

function subjectFor(membership: Membership, to: string): Element {
  const subject = membership.view.subject;
  if (subject) return addressedTo(subject, to);
  return x('message', { type: 'groupchat', from: membership.room, to }, x('subject'));
}
