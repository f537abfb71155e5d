/**
 * Private XML storage (XEP-0049): an account keeps arbitrary namespaced
 * fragments on the server (client preferences, legacy bookmarks). Each
 * fragment is stored under its element name and namespace and replaced as a
 * whole on set. Reserved namespaces are refused, and nobody may touch
 * another account's data.
 *
 * References: XEP-0049 §2 (elements, reserved namespaces), §3 (error
 * conditions).
 */
import { defineModule } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { parseXml } from '../../core/xml/parse-one.js';
import { iqPayload, iqResult } from '../../core/xml/stanza.js';
import type { MapStore } from '../../core/storage/stores.js';

/** Per fragment; bookmarks of a heavy user fit comfortably. */
export const MAX_FRAGMENT_BYTES = 64 * 1024;

const RESERVED_PREFIXES = ['jabber:', 'http://jabber.org/'];

/** The storage key of a fragment. */
export function fragmentKey(el: Element): string {
  return `${el.name}|${el.attrs.xmlns}`;
}

/** A fragment must carry its own namespace, and not a reserved one (XEP-0049 §2). */
export function checkFragment(el: Element): void {
  const ns = el.attrs.xmlns;
  if (!ns) throw new StanzaError('not-acceptable', 'private data needs its own namespace');
  if (ns === NS.vcard || RESERVED_PREFIXES.some((prefix) => ns.startsWith(prefix))) {
    throw new StanzaError('not-acceptable', `${ns} is a reserved namespace`);
  }
}

async function loadFragment(store: MapStore<string>, user: string, request: Element): Promise<Element> {
  const stored = await store.get(user, fragmentKey(request));
  const fragment = stored === undefined ? undefined : parseXml(stored);
  return fragment ?? x(request.name, { xmlns: request.attrs.xmlns });
}

function forbidden(): never {
  throw new StanzaError('forbidden', "another account's private data");
}

export default defineModule({
  name: 'private',
  features: [NS.privateStorage],
  stores: { fragments: 'map' },
  hooks: {
    'iq-get/self/jabber:iq:private:query': async ({ stanza, origin, to }, mod) => {
      const requested = iqPayload(stanza).elements();
      // A get names exactly one namespace (XEP-0049 §2).
      if (requested.length !== 1) throw new StanzaError('not-acceptable', 'ask for exactly one fragment');
      checkFragment(requested[0]);
      const fragment = await loadFragment(mod.stores.fragments, to.local!, requested[0]);
      origin?.send(iqResult(stanza, x('query', { xmlns: NS.privateStorage }, fragment)));
      return true;
    },
    'iq-set/self/jabber:iq:private:query': async ({ stanza, origin, to }, mod) => {
      const fragments = iqPayload(stanza).elements();
      if (fragments.length === 0) throw new StanzaError('not-acceptable', 'nothing to store');
      for (const fragment of fragments) {
        checkFragment(fragment);
        if (Buffer.byteLength(fragment.toString()) > MAX_FRAGMENT_BYTES) {
          throw new StanzaError('not-acceptable', `fragment larger than ${MAX_FRAGMENT_BYTES} bytes`);
        }
      }
      for (const fragment of fragments) await mod.stores.fragments.set(to.local!, fragmentKey(fragment), fragment.toString());
      origin?.send(iqResult(stanza));
      return true;
    },
    'iq-get/bare/jabber:iq:private:query': forbidden,
    'iq-set/bare/jabber:iq:private:query': forbidden,
    'user-deleted': async ({ username }, mod) => {
      await mod.stores.fragments.deleteAll(username);
    },
  },
});
