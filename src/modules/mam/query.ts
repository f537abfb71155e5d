/**
 * Answering an archive query: the parsed request becomes one store query
 * (RSM and #extended ids combined, page size bounded), every item goes to
 * the asking session as a forwarded result, and the IQ result closes it
 * with the RSM summary. Ids the archive does not hold are `item-not-found`.
 * Room messages a query leaves out (`include-groupchat` false) are left out
 * by the store query itself, so pages, count and complete stay exact.
 *
 * References: XEP-0313 §4.1.1 (with: a bare JID matches every resource, a
 * full JID only itself), §4.1.3 (unknown ids), §4.1.4 (include-groupchat:
 * false leaves room messages out), §4.2 (results), §4.3 (paging,
 * complete, last page, flipped pages), §4.4 (metadata); XEP-0059 §2;
 * XEP-0297 §3 (forwarded); XEP-0203 (delay).
 */
import { randomBytes } from 'node:crypto';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { parseXml } from '../../core/xml/parse-one.js';
import { tryParseJid, type JID } from '../../core/jid/jid.js';
import type { ArchiveItem, ArchivePage, ArchiveQuery, ArchiveStore } from '../../core/storage/stores.js';
import { formatDateTime } from './datetime.js';
import { MAM } from './ns.js';
import type { MamQuery } from './query-form.js';
import { resultSet } from './rsm.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 250;
/** Items read at a time when a full-JID `with` filters what the store returns. */
const SCAN_CHUNK = 500;

export interface QueryOutcome extends ArchivePage {
  /** Index of the first item in the whole result set, when it is known. */
  firstIndex?: number;
}

/** Runs the query against one user's archive. */
export async function findPage(store: ArchiveStore, user: string, q: MamQuery): Promise<QueryOutcome> {
  try {
    if (q.ids) await checkIdsExist(store, user, q.ids);
    const afterId = await boundOf(store, user, q.afterId, q.rsm.after, 'later');
    const beforeId = await boundOf(store, user, q.beforeId, q.rsm.before || undefined, 'earlier');
    const query: ArchiveQuery = {
      start: q.start,
      end: q.end,
      ids: q.ids,
      afterId,
      beforeId,
      excludeTypes: q.includeGroupchat === false ? ['groupchat'] : undefined,
      limit: Math.min(q.rsm.max ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
      // RSM <before/> pages from the newest end; before-id alone does not.
      reverse: q.rsm.before !== undefined,
    };
    const page =
      q.with?.resource === undefined
        ? await store.query(user, { ...query, with: q.with?.bareString() })
        : await pageForFullJid(store, user, query, q.with);
    const unpositioned = afterId === undefined && beforeId === undefined;
    const firstIndex = !unpositioned || page.items.length === 0 ? undefined : query.reverse ? page.total - page.items.length : 0;
    return { ...page, firstIndex };
  } catch (err) {
    if ((err as { code?: string }).code === 'item-not-found') throw new StanzaError('item-not-found', 'no such id in this archive');
    throw err;
  }
}

async function checkIdsExist(store: ArchiveStore, user: string, ids: string[]): Promise<void> {
  const unique = [...new Set(ids)];
  const { total } = await store.query(user, { ids: unique, limit: 0 });
  if (total < unique.length) throw new StanzaError('item-not-found', 'an id in ids is not in this archive');
}

/**
 * A form bound and an RSM bound on the same side both apply: the tighter
 * one wins, found by asking the archive which of the two comes first.
 */
async function boundOf(
  store: ArchiveStore,
  user: string,
  a: string | undefined,
  b: string | undefined,
  pick: 'later' | 'earlier',
): Promise<string | undefined> {
  if (a === undefined || b === undefined || a === b) return a ?? b;
  const { items } = await store.query(user, { ids: [a, b] });
  if (items.length < 2) throw new StanzaError('item-not-found', 'no such id in this archive');
  return pick === 'later' ? items[1]!.id : items[0]!.id;
}

/**
 * The store keeps conversations by bare JID; a full JID is matched against
 * each message's from and to, reading the conversation in chunks.
 */
async function pageForFullJid(store: ArchiveStore, user: string, query: ArchiveQuery, full: JID): Promise<ArchivePage> {
  const matches: ArchiveItem[] = [];
  let afterId = query.afterId;
  for (;;) {
    const chunk = await store.query(user, { ...query, with: full.bareString(), afterId, limit: SCAN_CHUNK, reverse: false });
    matches.push(...chunk.items.filter((item) => involves(item.payload, full)));
    if (chunk.complete) break;
    afterId = chunk.items.at(-1)!.id;
  }
  const limit = query.limit ?? matches.length;
  const items = query.reverse ? matches.slice(Math.max(0, matches.length - limit)) : matches.slice(0, limit);
  return { items, complete: items.length === matches.length, total: matches.length };
}

function involves(payload: string, full: JID): boolean {
  const message = parseXml(payload);
  const wanted = full.toString();
  return [message?.attrs.from, message?.attrs.to].some((addr) => addr !== undefined && tryParseJid(addr)?.toString() === wanted);
}

/** One `<message><result><forwarded>` per item; undefined for an unreadable stored payload. */
export function resultMessage(item: ArchiveItem, archiveJid: string, to: string, queryId: string | undefined): Element | undefined {
  const original = parseXml(item.payload);
  if (!original) return undefined;
  return x(
    'message',
    { from: archiveJid, to, id: randomBytes(9).toString('base64url') },
    x(
      'result',
      { xmlns: MAM.ns, queryid: queryId, id: item.id },
      x('forwarded', { xmlns: MAM.forward }, x('delay', { xmlns: NS.delay, stamp: formatDateTime(item.when) }), original),
    ),
  );
}

/** The IQ result's payload: whether paging is done, and the page's RSM summary (chronological). */
export function finElement(outcome: QueryOutcome): Element {
  const { items, complete, total, firstIndex } = outcome;
  return x(
    'fin',
    { xmlns: MAM.ns, complete: String(complete) },
    resultSet({ firstId: items[0]?.id, lastId: items.at(-1)?.id, firstIndex, count: total }),
  );
}

/** `<metadata>` with the archive's first and last items; empty for an empty archive. */
export async function metadataElement(store: ArchiveStore, user: string): Promise<Element> {
  const metadata = x('metadata', { xmlns: MAM.ns });
  const first = (await store.query(user, { limit: 1 })).items[0];
  if (!first) return metadata;
  const last = (await store.query(user, { limit: 1, reverse: true })).items[0]!;
  const mark = (name: string, item: ArchiveItem) => x(name, { id: item.id, timestamp: formatDateTime(item.when) });
  return metadata.append(mark('start', first), mark('end', last));
}
