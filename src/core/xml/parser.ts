/**
 * Streaming XML parser for XMPP streams, on top of saxes.
 *
 * Turns bytes into stream-start / stanza / stream-end callbacks and enforces
 * XMPP's restricted XML (RFC 6120 §11.1): no DTD (so no entity declarations),
 * no processing instructions, no comments; only predefined entities, which
 * saxes never expands beyond. It also bounds each stanza's size.
 *
 * Two framings: `stream` (TCP: one `<stream:stream>` root, stanzas at depth 1)
 * and `fragments` (WebSocket, RFC 7395: each message holds top-level elements,
 * parsed as children of an implicit root).
 *
 * References: RFC 6120 §4.9.3 (stream error conditions), §11 (XML usage);
 * RFC 7395 §3.3.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { Element } from './element.js';

export type XmlErrorCondition = 'not-well-formed' | 'restricted-xml' | 'policy-violation' | 'bad-format';

export interface ParserHandlers {
  onStreamStart(name: string, attrs: Record<string, string>): void;
  onStanza(el: Element): void;
  onStreamEnd(): void;
  onError(condition: XmlErrorCondition, text: string): void;
}

export interface ParserOptions {
  maxStanzaSize: number;
  framing: 'stream' | 'fragments';
}

export class StreamParser {
  private readonly sax = new SaxesParser({ xmlns: false, position: false });
  private readonly stack: Element[] = [];
  private failed = false;
  /** Bytes fed since the last stanza boundary: bounds buffering of an endless tag. */
  private pendingBytes = 0;
  /** Estimated size of the stanza being built. */
  private stanzaSize = 0;
  private depth = 0;
  /** Largest piece fed to saxes at once: a quarter of the limit, within 1–16 KiB. */
  private readonly sliceSize: number;

  constructor(
    private readonly handlers: ParserHandlers,
    private readonly options: ParserOptions,
  ) {
    this.sliceSize = Math.max(1024, Math.min(16384, options.maxStanzaSize >> 2));
    this.listen();
    if (options.framing === 'fragments') this.sax.write('<fragments>');
  }

  write(chunk: string): void {
    // Feeding big chunks in slices bounds how far a stanza can grow between
    // size checks, since boundaries reset the count mid-chunk.
    const slice = this.sliceSize;
    for (let start = 0; start < chunk.length && !this.failed; start += slice) {
      this.writeSlice(chunk.length <= slice ? chunk : chunk.slice(start, start + slice));
    }
  }

  private writeSlice(slice: string): void {
    this.pendingBytes += slice.length;
    try {
      this.sax.write(slice);
    } catch (err) {
      this.fail('not-well-formed', (err as Error).message);
    }
    if (!this.failed && this.depth >= 1 && this.pendingBytes > this.options.maxStanzaSize) {
      this.fail('policy-violation', 'stanza too large');
    }
  }

  /** True between elements: a WebSocket message must end on a boundary. */
  get atBoundary(): boolean {
    return this.stack.length === 0;
  }

  private fail(condition: XmlErrorCondition, text: string): void {
    if (this.failed) return;
    this.failed = true;
    this.handlers.onError(condition, text);
  }

  private listen(): void {
    const sax = this.sax;
    sax.on('error', (err) => this.fail('not-well-formed', err.message));
    sax.on('doctype', () => this.fail('restricted-xml', 'DTDs are not allowed'));
    sax.on('processinginstruction', () => this.fail('restricted-xml', 'processing instructions are not allowed'));
    sax.on('comment', () => this.fail('restricted-xml', 'comments are not allowed'));
    sax.on('opentag', (tag) => this.openTag(tag as SaxesTagPlain));
    sax.on('closetag', () => this.closeTag());
    sax.on('text', (text) => this.addText(text));
    sax.on('cdata', (text) => this.addText(text));
  }

  private openTag(tag: SaxesTagPlain): void {
    if (this.failed) return;
    this.depth++;
    if (this.depth === 1) {
      this.pendingBytes = 0;
      if (this.options.framing === 'stream') this.handlers.onStreamStart(tag.name, tag.attributes);
      return;
    }
    const el = new Element(tag.name, tag.attributes);
    if (this.stack.length === 0) this.stanzaSize = 0;
    else this.stack[this.stack.length - 1].children.push(el);
    this.stanzaSize += tag.name.length * 2 + 5;
    for (const key in tag.attributes) this.stanzaSize += key.length + tag.attributes[key].length + 4;
    this.stack.push(el);
    this.checkStanzaSize();
  }

  private closeTag(): void {
    if (this.failed) return;
    this.depth--;
    if (this.depth === 0) {
      this.handlers.onStreamEnd();
      return;
    }
    const el = this.stack.pop();
    if (el && this.stack.length === 0) {
      this.pendingBytes = 0;
      this.handlers.onStanza(el);
    }
  }

  private addText(text: string): void {
    if (this.failed || this.stack.length === 0) return; // whitespace keepalives between stanzas
    this.stack[this.stack.length - 1].children.push(text);
    this.stanzaSize += text.length;
    this.checkStanzaSize();
  }

  private checkStanzaSize(): void {
    if (this.stanzaSize > this.options.maxStanzaSize) this.fail('policy-violation', 'stanza too large');
  }
}
