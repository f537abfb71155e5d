/**
 * A client connection over WebSocket (RFC 7395): each message is one
 * complete element; the stream is opened and closed with `<open/>` and
 * `<close/>` in the framing namespace.
 *
 * References: RFC 7395 §3.3 (framing), §3.4 (stream initiation), §3.6
 * (closing), §3.6.2 (stream errors).
 */
import type { WebSocket } from 'ws';
import { serialize, x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import type { StreamError } from '../../core/errors/stream-error.js';
import type { ChannelBindingType, Connection } from '../../core/session/connection.js';

const CLOSE_GRACE_MS = 3000;

export class WsConnection implements Connection {
  readonly framing = 'fragments' as const;
  readonly canStartTls = false;
  private ended = false;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
    readonly secure: boolean,
  ) {}

  channelBindingTypes(): ChannelBindingType[] {
    return [];
  }

  channelBinding(): Buffer | undefined {
    return undefined;
  }

  onData(handler: (chunk: string) => void): void {
    this.ws.on('message', (data, isBinary) => {
      // Each message is a complete XML fragment (RFC 7395 §3.3.3).
      if (!isBinary) handler(data.toString());
    });
  }

  onClose(handler: () => void): void {
    this.ws.on('close', handler);
  }

  openStream(attrs: Record<string, string>): void {
    this.send(serialize(x('open', { xmlns: NS.framing, ...attrs })));
  }

  writeElement(el: Element): void {
    if (el.name === 'stream:features' || el.name === 'stream:error') {
      el.attrs['xmlns:stream'] = NS.streams;
    } else if (el.attrs.xmlns === undefined && (el.name === 'message' || el.name === 'presence' || el.name === 'iq')) {
      el = withClientNs(el);
    }
    this.send(serialize(el));
  }

  closeWithError(error: StreamError): void {
    const el = error.toElement();
    el.attrs['xmlns:stream'] = NS.streams;
    this.send(serialize(el));
    this.close();
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.send(serialize(x('close', { xmlns: NS.framing })));
    this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  private send(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }
}

/** A shallow copy carrying the stanza namespace a standalone message needs. */
function withClientNs(el: Element): Element {
  const copy = x(el.name, { xmlns: NS.client, ...el.attrs });
  copy.children = el.children;
  return copy;
}
