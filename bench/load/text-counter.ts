/**
 * Counts occurrences of fixed strings (`<message`, `<iq`, ...) in a stream of
 * text chunks without parsing XML: the load generator must stay far cheaper
 * than the server it measures. A short tail of each chunk is kept so a
 * pattern split across two chunks is still counted exactly once.
 *
 * References: none (plain substring search).
 */

export class TextCounter {
  private readonly counts = new Map<string, number>();
  /** End of the previous chunk, shorter than the longest pattern. */
  private tail = '';
  private tailLength = 0;

  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) this.watch(pattern);
  }

  /** Starts counting `pattern` from the next chunk on. */
  watch(pattern: string): void {
    if (pattern.length === 0) throw new RangeError('empty pattern');
    if (!this.counts.has(pattern)) this.counts.set(pattern, 0);
    this.tailLength = Math.max(this.tailLength, pattern.length - 1);
  }

  unwatch(pattern: string): void {
    this.counts.delete(pattern);
  }

  count(pattern: string): number {
    return this.counts.get(pattern) ?? 0;
  }

  feed(chunk: string): void {
    const text = this.tail + chunk;
    const fresh = this.tail.length;
    for (const [pattern, seen] of this.counts) {
      // Start where a match would first overlap the new chunk: earlier matches
      // lie wholly inside the tail and were counted with the previous chunk.
      let from = Math.max(0, fresh - pattern.length + 1);
      let found = 0;
      for (let at = text.indexOf(pattern, from); at >= 0; at = text.indexOf(pattern, from)) {
        found++;
        from = at + pattern.length;
      }
      if (found > 0) this.counts.set(pattern, seen + found);
    }
    this.tail = this.tailLength > 0 ? text.slice(-this.tailLength) : '';
  }
}
