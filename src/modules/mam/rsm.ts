/**
 * Result Set Management as the archive uses it: the `<set/>` of a query
 * (page size, after, before, an empty before for the last page) and the
 * `<set/>` of the answer (first, last, count). Paging by `<index/>` is not
 * offered: ids page in constant time, offsets would not.
 *
 * References: XEP-0059 §2.1 (max), §2.2 (after), §2.3 (before), §2.5 (last
 * page: empty before), §2.4 (index), §2.6 (count only: max 0); XEP-0313
 * §4.2 (RSM ids are archive ids).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { MAM } from './ns.js';

export interface RsmRequest {
  max?: number;
  after?: string;
  /** `''` for an empty `<before/>`: the last page. */
  before?: string;
}

export function parseRsm(set: Element | undefined): RsmRequest {
  if (!set) return {};
  if (set.getChild('index')) throw new StanzaError('feature-not-implemented', 'paging by index is not supported; use after/before');
  const request: RsmRequest = {};
  const max = set.getChild('max');
  if (max) {
    const text = max.text().trim();
    if (!/^\d{1,9}$/.test(text)) throw new StanzaError('bad-request', '<max/> must be a non-negative integer');
    request.max = Number(text);
  }
  const after = set.getChild('after');
  if (after) {
    request.after = after.text().trim();
    if (request.after === '') throw new StanzaError('bad-request', '<after/> needs an id');
  }
  const before = set.getChild('before');
  if (before) request.before = before.text().trim();
  return request;
}

export interface ResultSetInfo {
  firstId?: string;
  lastId?: string;
  /** Position of the first item in the whole result set, when known. */
  firstIndex?: number;
  count: number;
}

/** The answer's `<set/>`; first and last only when the page is not empty (XEP-0059 §2.2). */
export function resultSet({ firstId, lastId, firstIndex, count }: ResultSetInfo): Element {
  const first = firstId === undefined ? undefined : x('first', { index: firstIndex?.toString() }, firstId);
  const last = lastId === undefined ? undefined : x('last', {}, lastId);
  return x('set', { xmlns: MAM.rsm }, first, last, x('count', {}, String(count)));
}
