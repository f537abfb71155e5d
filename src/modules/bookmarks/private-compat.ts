/**
 * XEP-0048 over private XML storage (`#compat`): a get of
 * `<storage xmlns='storage:bookmarks'/>` is answered from the XEP-0402
 * items, and a set replaces them, before the private storage module sees
 * either. Other fragments in the same request are left to that module.
 *
 * References: XEP-0049 §2 (get and set of namespaced fragments); XEP-0048
 * §3.2 (bookmarks in private storage); XEP-0402 §5.3 and §6 (`#compat`).
 */
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { MAX_FRAGMENT_BYTES } from '../private/index.js';
import { LEGACY_NS } from './bookmark.js';
import type { BookmarkSync } from './sync.js';

const isLegacyStorage = (el: Element) => el.name === 'storage' && el.attrs.xmlns === LEGACY_NS;

export async function privateGet(event: StanzaEvent, sync: BookmarkSync): Promise<true | undefined> {
  const requested = iqPayload(event.stanza).elements();
  // Anything else (several fragments, other namespaces) is the private module's to answer.
  if (requested.length !== 1 || !isLegacyStorage(requested[0])) return undefined;
  const storage = await sync.legacyStorage(event.to.local!);
  return answerIq(event, x('query', { xmlns: NS.privateStorage }, storage));
}

export async function privateSet(event: StanzaEvent, sync: BookmarkSync): Promise<true | undefined> {
  const query = iqPayload(event.stanza);
  const bookmarks = query.elements().filter(isLegacyStorage);
  if (bookmarks.length === 0) return undefined;
  // The last storage element wins, as a later set would.
  const storage = bookmarks[bookmarks.length - 1];
  // The same limit the private module puts on any fragment.
  if (Buffer.byteLength(storage.toString()) > MAX_FRAGMENT_BYTES) {
    throw new StanzaError('not-acceptable', `fragment larger than ${MAX_FRAGMENT_BYTES} bytes`);
  }
  await sync.fromLegacy(event.to.local!, storage, { writeLegacyNode: true });
  // Other fragments go on to the private module (bookmarks are applied already).
  query.children = query.children.filter((c) => typeof c === 'string' || !isLegacyStorage(c));
  if (query.elements().length > 0) return undefined;
  return answerIq(event);
}
