/**
 * The way out of a session: optional filters between `send()` and the
 * socket. Stream management counts and queues there, client state
 * indication holds presence there. Lower `order` runs closer to the wire;
 * with no filter, `send` writes straight through (the fast path).
 */
import type { Element } from '../xml/element.js';

/** A step on the way out: pass the element on (`next`), hold it, or count it. */
export type OutputFilter = (el: Element, next: (el: Element) => void) => void;

export class OutputPipeline {
  /** Outermost first. */
  private filters: { filter: OutputFilter; order: number }[] = [];

  constructor(
    private readonly write: (el: Element) => void,
    private readonly isClosed: () => boolean,
  ) {}

  send(el: Element): void {
    if (this.filters.length === 0) this.write(el);
    else this.run(0, el);
  }

  /** Adds a filter; returns its removal. */
  add(filter: OutputFilter, order: number): () => void {
    const entry = { filter, order };
    this.filters.push(entry);
    this.filters.sort((a, b) => b.order - a.order);
    return () => {
      this.filters = this.filters.filter((e) => e !== entry);
    };
  }

  /** Sends through the filters after `filter` only (a filter releasing what it held). */
  sendBelow(filter: OutputFilter, el: Element): void {
    this.run(this.filters.findIndex((e) => e.filter === filter) + 1, el);
  }

  private run(index: number, el: Element): void {
    if (this.isClosed()) return;
    const entry = this.filters[index];
    if (!entry) return this.write(el);
    entry.filter(el, (next) => this.run(index + 1, next));
  }
}
