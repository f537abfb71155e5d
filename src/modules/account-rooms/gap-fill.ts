/**
 * Filling the gap after a rejoin (restart, 332/333, a stale membership):
 * the room's archive is queried for everything after the last stanza-id
 * the account received (XEP-0313 on the room JID, page by page; when the
 * room no longer knows that id, from the time it came, with some slack for
 * clocks); a room without an archive is rejoined with `<history since>`
 * the last message instead. Missed messages go into the account's archive
 * once and to the joined sessions; a message the account's archive already
 * holds (it also arrived live while the gap was being filled) is skipped,
 * so no session gets it twice, and the last stanza-id never moves back
 * behind a live message.
 *
 * References: account-rooms spec, "Durability"; XEP-0313 §4 (querying a
 * MUC archive), §4.1.5 (start), §4.3 (RSM after; item-not-found for an
 * unknown id); XEP-0045 §7.2.15 (history since); XEP-0030 (the room's
 * features).
 */
import { randomBytes } from 'node:crypto';
import { x, type Element } from '../../core/xml/element.js';
import type { AccountRooms } from './service.js';
import type { Membership } from './membership.js';
import { forkToJoined } from './fork.js';
import { archiveRoomMessage, sentAt, withArchiveId } from './archive.js';

const MAM_NS = 'urn:xmpp:mam:2';
const RSM_NS = 'http://jabber.org/protocol/rsm';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const FORWARD_NS = 'urn:xmpp:forward:0';
const PAGE_SIZE = 100;
/** A gap larger than this is left to the room's archive (clients page through it on demand). */
const MAX_PAGES = 50;
/** Clocks of this server and the room's may differ: a time-based query starts this much earlier. */
const CLOCK_SLACK_MS = 5 * 60_000;

const roomHasArchive = new WeakMap<Membership, boolean>();

/** Where the next gap fill starts when traffic may have been lost earlier than the last message received (an s2s link went down). */
const gapStarts = new WeakMap<Membership, { id: string; at?: number }>();

/**
 * The s2s link to the room's server dropped: whatever was in flight may be
 * lost, though later messages can arrive over a new link and move the last
 * stanza-id past the hole. The next gap fill starts from here (the oldest
 * such mark wins); the account's archive drops what it already holds.
 */
export function markGapStart(membership: Membership): void {
  if (gapStarts.has(membership) || membership.lastStanzaId === undefined) return;
  gapStarts.set(membership, { id: membership.lastStanzaId, at: membership.lastReceived });
}

/** With the account still an occupant (a self-ping said so): the gap since the mark, from the room's archive when it has one. */
export async function catchUp(service: AccountRooms, membership: Membership): Promise<void> {
  if (membership.lastStanzaId === undefined) return;
  roomHasArchive.set(membership, await hasArchive(service, membership));
  await fillGap(service, membership);
}

/**
 * Before a silent rejoin: asks the room whether it keeps an archive and
 * returns the `<history/>` the join should carry (undefined: none wanted).
 */
export async function prepareRejoin(service: AccountRooms, membership: Membership): Promise<Element | undefined> {
  if (membership.lastStanzaId === undefined && membership.lastReceived === undefined) return undefined;
  const archived = await hasArchive(service, membership);
  roomHasArchive.set(membership, archived);
  if (archived && membership.lastStanzaId !== undefined) return undefined;
  if (membership.lastReceived === undefined) return undefined;
  return x('history', { since: new Date(membership.lastReceived).toISOString() });
}

async function hasArchive(service: AccountRooms, membership: Membership): Promise<boolean> {
  try {
    const query = x('iq', { type: 'get', to: membership.room, from: service.occupantFrom(membership) }, x('query', { xmlns: DISCO_INFO }));
    const answer = await service.deps.iq.request(query);
    return answer.attrs.type === 'result' && (answer.getChild('query', DISCO_INFO)?.getChildren('feature') ?? []).some((f) => f.attrs.var === MAM_NS);
  } catch {
    return false;
  }
}

/** Where a page starts: after a room stanza-id, or (that id unknown to the room) at a time. */
type From = { after: string } | { start: number };

interface Page {
  items: { id: string; message: Element }[];
  complete: boolean;
  last?: string;
}

/** After the rejoin: what the room archived since the last message the account got. */
export async function fillGap(service: AccountRooms, membership: Membership): Promise<void> {
  const start = gapStarts.get(membership) ?? (membership.lastStanzaId === undefined ? undefined : { id: membership.lastStanzaId, at: membership.lastReceived });
  gapStarts.delete(membership);
  if (!roomHasArchive.get(membership) || start === undefined || membership.lastStanzaId === undefined) return;
  // From an older mark, the last stanza-id moves on only once the pages pass the one it holds now.
  const progress = { mark: membership.lastStanzaId, passed: start.id === membership.lastStanzaId };
  let from: From = { after: start.id };
  for (let n = 0; n < MAX_PAGES; n++) {
    let page = await queryPage(service, membership, from);
    if (page === 'unknown-id' && n === 0 && start.at !== undefined) {
      page = await queryPage(service, membership, (from = { start: start.at - CLOCK_SLACK_MS }));
    }
    if (page === undefined || page === 'unknown-id') return;
    await takePage(service, membership, page, progress);
    if (page.complete || page.last === undefined) return;
    from = { after: page.last };
  }
}

/** One page of the room's archive; 'unknown-id' when the room no longer has the item to start after. */
async function queryPage(service: AccountRooms, membership: Membership, from: From): Promise<Page | 'unknown-id' | undefined> {
  const queryId = `gap-${randomBytes(6).toString('base64url')}`;
  const results: Element[] = [];
  const stop = service.expectMamResults(queryId, (message) => results.push(message));
  try {
    const answer = await service.deps.iq.request(pageRequest(service, membership, queryId, from));
    const fin = answer.getChild('fin', MAM_NS);
    if (answer.attrs.type === 'error') return answer.getChild('error')?.getChild('item-not-found') ? 'unknown-id' : undefined;
    if (answer.attrs.type !== 'result' || !fin) return undefined;
    const items = results.map(missedMessage).filter((item) => item !== undefined);
    return { items, complete: fin.attrs.complete === 'true', last: fin.getChild('set', RSM_NS)?.getChildText('last') };
  } catch (err) {
    service.log.warn({ err, room: membership.room }, 'gap fill from the room archive failed');
    return undefined;
  } finally {
    stop();
  }
}

function pageRequest(service: AccountRooms, membership: Membership, queryId: string, from: From): Element {
  const form =
    'start' in from
      ? x('x', { xmlns: 'jabber:x:data', type: 'submit' }, field('FORM_TYPE', MAM_NS), field('start', new Date(from.start).toISOString()))
      : undefined;
  const rsm = x('set', { xmlns: RSM_NS }, x('max', {}, String(PAGE_SIZE)), 'after' in from ? x('after', {}, from.after) : undefined);
  return x('iq', { type: 'set', to: membership.room, from: service.occupantFrom(membership) }, x('query', { xmlns: MAM_NS, queryid: queryId }, form, rsm));
}

const field = (name: string, value: string) => x('field', { var: name, type: name === 'FORM_TYPE' ? 'hidden' : undefined }, x('value', {}, value));

/** The room's message in a MAM result, addressed to the account, with the archive's delay kept. */
function missedMessage(result: Element): { id: string; message: Element } | undefined {
  const item = result.getChild('result', MAM_NS);
  const forwarded = item?.getChild('forwarded', FORWARD_NS);
  const original = forwarded?.getChild('message');
  if (!item?.attrs.id || !original) return undefined;
  const message = original.clone();
  delete message.attrs.xmlns;
  const delay = forwarded!.getChild('delay', 'urn:xmpp:delay');
  if (delay && !message.getChild('delay', 'urn:xmpp:delay')) message.append(delay.clone());
  return { id: item.attrs.id, message };
}

/** A page's messages the account's archive does not hold yet: archived, then to the joined sessions. */
async function takePage(service: AccountRooms, membership: Membership, page: Page, progress: { mark: string; passed: boolean }): Promise<void> {
  const known = await archivedRoomIds(service, membership, page);
  for (const { id, message } of page.items) {
    // A live message since the rejoin moved the mark on: it is newer than anything in the gap.
    if (!progress.passed) progress.passed = id === progress.mark;
    else if (membership.lastStanzaId === progress.mark) membership.lastStanzaId = progress.mark = id;
    if (known.has(id)) continue;
    message.attrs.to = `${membership.username}@${service.host.name}`;
    const archiveId = await archiveRoomMessage(service, membership, message, id);
    forkToJoined(service, membership, withArchiveId(service, membership, message, archiveId));
  }
  service.saveSoon(membership.username);
}

/** The room stanza-ids of the account's archived messages from this room since the page's first message. */
async function archivedRoomIds(service: AccountRooms, membership: Membership, page: Page): Promise<Set<string>> {
  const stamps = page.items.map(({ message }) => sentAt(message)).filter((when) => when !== undefined);
  if (stamps.length === 0) return new Set();
  const start = Math.min(...stamps) - CLOCK_SLACK_MS;
  const archived = await service.deps.mam.store.query(membership.username, { with: membership.room, start });
  return new Set(archived.items.map((item) => item.externalId).filter((id) => id !== undefined));
}
