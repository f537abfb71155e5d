/**
 * Offline messages (XEP-0160): chat and normal messages for an account with
 * no available session are stored with a delay stamp and delivered, oldest
 * first, when a session of the account sends its initial presence with a
 * non-negative priority.
 *
 * References: XEP-0160 §3; RFC 6121 §8.5.2.1.1; XEP-0203 (delayed delivery).
 */
import { defineModule } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { parseXml } from '../../core/xml/parse-one.js';

/** Beyond this many stored messages new ones bounce (ejabberd does the same). */
const MAX_STORED = 1000;

export default defineModule({
  name: 'offline',
  features: [NS.offline],
  stores: { messages: 'archive' },
  hooks: {
    'message-offline': async ({ stanza, to, from, host }, mod) => {
      const store = mod.stores.messages;
      const page = await store.query(to.local!, { limit: 0 });
      if (page.total >= MAX_STORED) throw new StanzaError('service-unavailable', 'offline storage full');
      const stored = stanza.clone();
      stored.append(x('delay', { xmlns: NS.delay, from: host.name, stamp: new Date().toISOString() }, 'Offline Storage'));
      await store.append(to.local!, { when: Date.now(), with: from.bareString(), payload: stored.toString() });
      return true;
    },
    'initial-presence': async ({ session }, mod) => {
      if (session.priority < 0) return;
      const store = mod.stores.messages;
      const user = session.username!;
      const { items } = await store.query(user);
      if (items.length === 0) return;
      for (const item of items) {
        const message = parseXml(item.payload);
        if (message) session.send(message);
      }
      await store.delete(user, { ids: items.map((i) => i.id) });
      mod.log.debug({ user, count: items.length }, 'delivered offline messages');
    },
    'user-deleted': async ({ username }, mod) => {
      await mod.stores.messages.deleteAll(username);
    },
  },
});
