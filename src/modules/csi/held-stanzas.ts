/**
 * The output filter of an inactive session: stanzas that can wait are held
 * in arrival order, presence coalesced to the latest per sender full JID;
 * an urgent stanza first releases everything held (so the client still
 * sees stanzas in order), and so does going active or holding too many.
 * The filter is installed only while the client is inactive, so active
 * sessions keep the fast path.
 *
 * It sits farther from the wire than stream management, whose counting
 * must only see what is actually written.
 *
 * References: XEP-0352 §3.2 (server optimisations), §5.1 (in-order
 * processing: a flush completes before later input is handled).
 */
import type { Element } from '../../core/xml/element.js';
import type { OutputFilter, Session } from '../../core/session/session.js';
import { importanceOf } from './importance.js';

/** Farther from the wire than stream management (0). */
export const CSI_FILTER_ORDER = 50;
/** Held stanzas beyond which everything is released. */
export const MAX_HELD = 100;

export interface ClientState {
  state: 'active' | 'inactive';
  /** Held stanzas in order; presence keyed by sender so a newer one replaces it. */
  held: Map<string, Element>;
  /** Key for held stanzas that are never replaced. */
  nextKey: number;
  filter?: OutputFilter;
  removeFilter?: () => void;
}

declare module '../../core/session/session.js' {
  interface SessionState {
    csi?: ClientState;
  }
}

const STANZAS = new Set(['message', 'presence', 'iq']);

export function becomeInactive(session: Session): void {
  const csi: ClientState = (session.state.csi ??= { state: 'active', held: new Map(), nextKey: 0 });
  if (csi.state === 'inactive') return;
  csi.state = 'inactive';
  const filter: OutputFilter = (el, next) => hold(csi, el, next);
  csi.filter = filter;
  csi.removeFilter = session.addOutputFilter(filter, CSI_FILTER_ORDER);
}

/** Back to active: everything held goes out, then the filter comes off. */
export function becomeActive(session: Session): void {
  const csi = session.state.csi;
  if (!csi || csi.state === 'active') return;
  const filter = csi.filter!;
  release(csi, (el) => session.sendBelow(filter, el));
  csi.removeFilter?.();
  csi.state = 'active';
  csi.filter = csi.removeFilter = undefined;
}

function hold(csi: ClientState, el: Element, next: (el: Element) => void): void {
  // Nonzas (acks, stream errors) are not the client's traffic to shape.
  if (!STANZAS.has(el.name)) return next(el);
  const importance = importanceOf(el);
  if (importance === 'urgent') {
    release(csi, next);
    return next(el);
  }
  const key = importance === 'presence' ? `presence ${el.attrs.from ?? ''}` : String(csi.nextKey++);
  // Re-inserted at the end: a coalesced presence takes its newest place.
  csi.held.delete(key);
  csi.held.set(key, el);
  if (csi.held.size > MAX_HELD) release(csi, next);
}

function release(csi: ClientState, next: (el: Element) => void): void {
  if (csi.held.size === 0) return;
  const held = [...csi.held.values()];
  csi.held.clear();
  for (const el of held) next(el);
}
