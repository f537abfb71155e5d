/**
 * vCards (XEP-0054): an account stores its own vCard and anyone may fetch an
 * account's vCard from its bare JID. Stored as the serialised `<vCard/>`,
 * capped in size because every contact's client fetches it.
 *
 * References: XEP-0054 §3.1 (retrieving one's vCard), §3.2 (updating),
 * §3.3 (viewing another user's vCard); RFC 6121 §8.5.2.1 (no such account).
 */
import { defineModule } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { parseXml } from '../../core/xml/parse-one.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { KeyValStore } from '../../core/storage/stores.js';

/** Large enough for a photo of a few tens of KiB (base64), small enough to keep fan-out cheap. */
export const MAX_VCARD_BYTES = 64 * 1024;

/** The stored vCard, or an empty one (XEP-0054 §3.1 allows either that or item-not-found). */
async function loadVcard(store: KeyValStore<string>, user: string): Promise<Element> {
  const stored = await store.get(user);
  const vcard = stored === undefined ? undefined : parseXml(stored);
  return vcard ?? x('vCard', { xmlns: NS.vcard });
}

export default defineModule({
  name: 'vcard',
  features: [NS.vcard],
  stores: { vcards: 'keyval' },
  hooks: {
    'iq-get/self/vcard-temp:vCard': async (event, mod) => answerIq(event, await loadVcard(mod.stores.vcards, event.to.local!)),
    'iq-get/bare/vcard-temp:vCard': async (event, mod) => {
      const { to, host } = event;
      if (!(await host.server.accounts.exists(to.local!, host.name))) throw new StanzaError('service-unavailable');
      return answerIq(event, await loadVcard(mod.stores.vcards, to.local!));
    },
    'iq-set/self/vcard-temp:vCard': async (event, mod) => {
      const vcard = iqPayload(event.stanza).clone();
      vcard.attrs = { xmlns: NS.vcard };
      const serialised = vcard.toString();
      if (Buffer.byteLength(serialised) > MAX_VCARD_BYTES) {
        throw new StanzaError('not-acceptable', `vCard larger than ${MAX_VCARD_BYTES} bytes`);
      }
      await mod.stores.vcards.set(event.to.local!, serialised);
      return answerIq(event);
    },
    // Only the owner may change a vCard (XEP-0054 §3.2).
    'iq-set/bare/vcard-temp:vCard': () => {
      throw new StanzaError('forbidden');
    },
    'user-deleted': async ({ username }, mod) => {
      await mod.stores.vcards.delete(username);
    },
  },
});
