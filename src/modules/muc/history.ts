/**
 * Discussion history sent on entering: which stored messages a join asks
 * for with `<history maxchars maxstanzas seconds since/>`.
 *
 * References: XEP-0045 §7.2.14 (discussion history), §7.2.15 (managing
 * history); XEP-0082 (date-time).
 */
import type { Element } from '../../core/xml/element.js';

export interface HistoryEntry {
  /** The reflected message, without `to`. */
  stanza: Element;
  at: Date;
}

export interface HistoryRequest {
  maxstanzas?: number;
  maxchars?: number;
  seconds?: number;
  since?: Date;
}

function nonNegative(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** Reads the join's `<history/>`; unparsable limits are ignored (no limit). */
export function parseHistoryRequest(history: Element | undefined): HistoryRequest {
  if (!history) return {};
  const since = history.attrs.since === undefined ? undefined : new Date(history.attrs.since);
  return {
    maxstanzas: nonNegative(history.attrs.maxstanzas),
    maxchars: nonNegative(history.attrs.maxchars),
    seconds: nonNegative(history.attrs.seconds),
    since: since && !Number.isNaN(since.getTime()) ? since : undefined,
  };
}

/**
 * Applies every limit given (the XEP lets them combine): time first, then
 * the newest `maxstanzas`, then as many of the newest as fit in `maxchars`
 * (counting each stanza's whole XML, as the XEP says).
 */
export function selectHistory(entries: readonly HistoryEntry[], request: HistoryRequest, now = new Date()): HistoryEntry[] {
  let selected = entries.filter((entry) => {
    if (request.seconds !== undefined && entry.at.getTime() < now.getTime() - request.seconds * 1000) return false;
    if (request.since !== undefined && entry.at.getTime() < request.since.getTime()) return false;
    return true;
  });
  if (request.maxstanzas !== undefined) selected = request.maxstanzas === 0 ? [] : selected.slice(-request.maxstanzas);
  if (request.maxchars !== undefined) {
    let budget = request.maxchars;
    let first = selected.length;
    while (first > 0) {
      const size = selected[first - 1].stanza.toString().length;
      if (size > budget) break;
      budget -= size;
      first -= 1;
    }
    selected = selected.slice(first);
  }
  return selected;
}
