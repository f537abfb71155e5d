/**
 * A later session joining a room its account already occupies, answered
 * without any traffic to the room, in XEP-0045 order: every other
 * occupant's presence, the account's own presence last (110, the room's
 * other codes, 210 when the session asked for another nick), history from
 * the account's archive honouring the session's `<history/>`, then the
 * subject (empty when none). Live room messages arriving meanwhile are held
 * and follow the history, so nothing is missed or doubled.
 *
 * References: account-rooms spec, "Session joins a room" 2, "Nicknames";
 * XEP-0045 §7.2.3–§7.2.16, §15.6 (status 110, 210); XEP-0203 (delay).
 */
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { parseXml } from '../../core/xml/parse-one.js';
import type { Session } from '../../core/session/session.js';
import { MUC_NS } from '../muc/ns.js';
import { parseHistoryRequest, selectHistory, type HistoryEntry } from '../muc/history.js';
import { addressedTo, type AccountRooms } from './service.js';
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
  membership.replaying.set(session, held);
  try {
    for (const presence of membership.view.occupants.values()) session.send(addressedTo(presence, to));
    session.send(selfPresence(membership, to, askedNick !== membership.nick));
    const wanted = parseHistoryRequest(join.getChild('x', MUC_NS.muc)?.getChild('history'));
    if (wanted.maxstanzas === undefined && wanted.maxchars === undefined && wanted.seconds === undefined && wanted.since === undefined) {
      wanted.maxstanzas = membership.view.historyStanzas;
    }
    for (const message of await historyFromArchive(service, membership, wanted)) session.send(addressedTo(message, to));
    session.send(subjectFor(membership, to));
  } finally {
    membership.replaying.delete(session);
  }
  if (session.closed) return;
  for (const message of held) session.send(message);
  service.attach(membership, session);
  await updateRoomPresence(service, membership);
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

async function historyFromArchive(service: AccountRooms, membership: Membership, wanted: ReturnType<typeof parseHistoryRequest>): Promise<Element[]> {
  if (wanted.maxstanzas === 0) return [];
  const { store } = service.deps.mam;
  const newest = wanted.maxstanzas ?? 200;
  const start = wanted.seconds !== undefined ? Date.now() - wanted.seconds * 1000 : wanted.since?.getTime();
  // Room PMs share `with`; a few more than asked leaves room for them.
  const page = await store.query(membership.username, { with: membership.room, start, limit: newest * 2 + 10, reverse: true });
  const entries: HistoryEntry[] = [];
  for (const item of page.items) {
    if (item.type !== 'groupchat') continue;
    const stored = parseXml(item.payload);
    if (!stored || (stored.getChild('subject') && !stored.getChild('body'))) continue;
    delete stored.attrs.xmlns;
    stored.attrs.to = membership.room;
    stored.append(x('stanza-id', { xmlns: MUC_NS.stanzaId, by: `${membership.username}@${service.host.name}`, id: item.id }));
    stored.append(x('delay', { xmlns: NS.delay, from: membership.room, stamp: new Date(item.when).toISOString() }));
    entries.push({ stanza: stored, at: new Date(item.when) });
  }
  return selectHistory(entries, wanted).map((entry) => entry.stanza);
}

function subjectFor(membership: Membership, to: string): Element {
  const subject = membership.view.subject;
  if (subject) return addressedTo(subject, to);
  return x('message', { type: 'groupchat', from: membership.room, to }, x('subject'));
}
