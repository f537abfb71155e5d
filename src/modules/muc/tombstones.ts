/**
 * Tombstones: what a destroyed persistent room leaves behind so that later
 * joins learn it is gone (with its alternate venue), for a limited time.
 * After `muc.tombstone_days` (30 by default; 0 keeps them forever) the
 * tombstone expires and the room name may be created again. Time comes
 * from an injectable clock so expiry can be tested without waiting.
 *
 * References: XEP-0045 §10.9 (destroying a room; later joins may be told
 * the room is gone); RFC 6120 §8.3.3.5 (gone, with an alternate address).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import type { Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';

/** Days a tombstone lasts when `muc.tombstone_days` is not set. */
export const DEFAULT_TOMBSTONE_DAYS = 30;
const DAY_MS = 86_400_000;

/** What is left of a destroyed persistent room (§10.9). */
export interface Tombstone {
  kind: 'destroyed';
  alternate?: string;
  reason?: string;
  /** When the room was destroyed (ms since the epoch); absent in tombstones written before expiry existed. */
  at?: number;
}

/** `<gone/>` carrying the alternate venue as an XMPP URI, as RFC 6120 §8.3.3.5 lets it. */
export class GoneError extends StanzaError {
  constructor(private readonly alternate?: string) {
    super('gone', 'this room has been destroyed');
  }

  override toElement(by?: string): Element {
    const error = super.toElement(by);
    const gone = error.getChild('gone', NS.stanzaErrors);
    if (gone && this.alternate) gone.append(`xmpp:${this.alternate}?join`);
    return error;
  }
}

export interface TombstoneOptions {
  /** Lifetime in days; 0 keeps tombstones forever. */
  days?: number;
  /** The clock, in ms since the epoch (tests inject one). */
  now?: () => number;
}

/** A tombstone for a room destroyed now, from the owner's `<destroy/>` request. */
export function tombstoneOf(request: Element | undefined, at: number): Tombstone {
  const tombstone: Tombstone = { kind: 'destroyed', at };
  if (request?.attrs.jid) tombstone.alternate = request.attrs.jid;
  const reason = request?.getChildText('reason');
  if (reason) tombstone.reason = reason;
  return tombstone;
}

/** The live tombstones by room JID, with their expiry. */
export class Tombstones {
  private readonly byRoom = new Map<string, Tombstone>();
  private readonly lifetimeMs: number;
  readonly now: () => number;

  constructor(options: TombstoneOptions = {}) {
    this.lifetimeMs = (options.days ?? DEFAULT_TOMBSTONE_DAYS) * DAY_MS;
    this.now = options.now ?? Date.now;
  }

  isExpired(tombstone: Tombstone): boolean {
    return this.lifetimeMs > 0 && tombstone.at !== undefined && this.now() - tombstone.at >= this.lifetimeMs;
  }

  set(roomJid: string, tombstone: Tombstone): void {
    this.byRoom.set(roomJid, tombstone);
  }

  delete(roomJid: string): boolean {
    return this.byRoom.delete(roomJid);
  }

  /** The room's tombstone: `live`, `expired` (forgotten here; the caller deletes the record) or none. */
  state(roomJid: string): { live?: Tombstone; expired: boolean } {
    const tombstone = this.byRoom.get(roomJid);
    if (!tombstone) return { expired: false };
    if (!this.isExpired(tombstone)) return { live: tombstone, expired: false };
    this.byRoom.delete(roomJid);
    return { expired: true };
  }
}
