/**
 * What a client supports, by its caps: the disco#info features behind a
 * verification string, learnt by asking one client that advertises it and
 * then shared by every entity advertising the same string. Answers are
 * checked against the hash before they are shared, so a client cannot
 * poison the cache for others; requests in flight are shared too.
 *
 * References: XEP-0115 §5.4 (processing: query node#ver, verify, cache by
 * ver), §6.2 (disco#info at node#ver), §8.4 (cache poisoning);
 * XEP-0163 §2 (the server learns +notify interests this way).
 */
import { createHash } from 'node:crypto';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { verificationInput } from './verification.js';

export interface Caps {
  node: string;
  ver: string;
  hash: string;
}

/** Sends a disco#info query and resolves with the IQ answer (result or error). */
export type InfoQuery = (query: Element) => Promise<Element>;

/** XEP-0115 hash names (IANA) to Node's digest names. */
const ALGORITHMS: Record<string, string> = {
  'sha-1': 'sha1',
  'sha-224': 'sha224',
  'sha-256': 'sha256',
  'sha-384': 'sha384',
  'sha-512': 'sha512',
};

export interface FeatureCacheOptions {
  /** Verification strings remembered; the oldest is forgotten past this. */
  maxEntries?: number;
  /** How long a failed or unverifiable answer is not asked again. */
  retryAfterMs?: number;
  now?: () => number;
}

export class CapsFeatureCache {
  private readonly known = new Map<string, ReadonlySet<string>>();
  private readonly inFlight = new Map<string, Promise<ReadonlySet<string> | undefined>>();
  private readonly failedUntil = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly retryAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly query: InfoQuery,
    options: FeatureCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.retryAfterMs = options.retryAfterMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The features already known for these caps, without asking anyone. */
  peek(caps: Caps): ReadonlySet<string> | undefined {
    return this.known.get(cacheKey(caps));
  }

  /**
   * The features of `jid`'s client, asking it (once per verification string)
   * when they are not known yet; undefined when it cannot be learnt.
   */
  features(jid: string, caps: Caps): Promise<ReadonlySet<string> | undefined> {
    const key = cacheKey(caps);
    const known = this.known.get(key);
    if (known) return Promise.resolve(known);
    if ((this.failedUntil.get(key) ?? 0) > this.now()) return Promise.resolve(undefined);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.learn(jid, caps, key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async learn(jid: string, caps: Caps, key: string): Promise<ReadonlySet<string> | undefined> {
    const request = x('iq', { type: 'get', to: jid }, x('query', { xmlns: NS.discoInfo, node: `${caps.node}#${caps.ver}` }));
    let info: Element | undefined;
    try {
      const answer = await this.query(request);
      info = answer.attrs.type === 'result' ? answer.getChild('query', NS.discoInfo) : undefined;
    } catch {
      info = undefined;
    }
    if (!info || !verifies(info, caps)) {
      this.failedUntil.set(key, this.now() + this.retryAfterMs);
      return undefined;
    }
    const features: ReadonlySet<string> = new Set(info.getChildren('feature').map((f) => f.attrs.var ?? ''));
    this.remember(key, features);
    return features;
  }

  private remember(key: string, features: ReadonlySet<string>): void {
    this.failedUntil.delete(key);
    this.known.set(key, features);
    if (this.known.size > this.maxEntries) this.known.delete(this.known.keys().next().value!);
  }
}

function cacheKey(caps: Caps): string {
  return `${caps.hash}\n${caps.ver}`;
}

/** The answer must hash to the advertised ver (§5.4 step 3.g); unknown algorithms cannot be trusted. */
function verifies(info: Element, caps: Caps): boolean {
  const algorithm = ALGORITHMS[caps.hash];
  if (!algorithm) return false;
  return createHash(algorithm).update(verificationInput(info), 'utf8').digest('base64') === caps.ver;
}
