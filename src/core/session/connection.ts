/**
 * What a session needs from its transport. TCP (plain, STARTTLS, direct TLS)
 * and WebSocket differ in framing, so each connection writes stream headers,
 * errors and elements its own way (RFC 6120 §4 vs RFC 7395 §3).
 */
import type { Element } from '../xml/element.js';
import type { StreamError } from '../errors/stream-error.js';

/**
 * tls-unique is accepted but never advertised: COMPAT(slixmpp 1.8) binds with
 * it whatever the TLS version, and its Finished-message value is still
 * well-defined per connection under TLS 1.3.
 */
export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point' | 'tls-unique';

export interface Connection {
  readonly framing: 'stream' | 'fragments';
  /** Encrypted now (direct TLS, after STARTTLS, or wss). */
  readonly secure: boolean;
  readonly remoteAddress: string;
  /** Whether STARTTLS can be offered on this connection now. */
  readonly canStartTls: boolean;
  /** Channel-binding types this connection advertises (strongest first). */
  channelBindingTypes(): ChannelBindingType[];
  channelBinding(type: ChannelBindingType): Buffer | undefined;
  onData(handler: (chunk: string) => void): void;
  onClose(handler: () => void): void;
  /** Writes the opening of a stream (or the RFC 7395 `<open/>`). */
  openStream(attrs: Record<string, string>): void;
  writeElement(el: Element): void;
  /** Writes the stream error, closes the stream and the connection. */
  closeWithError(error: StreamError): void;
  /** Closes the stream gracefully and then the connection. */
  close(): void;
  /** Upgrades to TLS in place (after `<proceed/>` was written). */
  startTls?(): Promise<void>;
  pause(): void;
  resume(): void;
}

/** Stands in for a dead connection while a session is detached: writes go nowhere. */
export function lostConnection(was: Connection): Connection {
  const nothing = () => {};
  return {
    framing: was.framing,
    secure: was.secure,
    remoteAddress: was.remoteAddress,
    canStartTls: false,
    channelBindingTypes: () => [],
    channelBinding: () => undefined,
    onData: nothing,
    onClose: nothing,
    openStream: nothing,
    writeElement: nothing,
    closeWithError: nothing,
    close: nothing,
    pause: nothing,
    resume: nothing,
  };
}
