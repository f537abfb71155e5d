/**
 * Message Archive Management for accounts: every eligible one-to-one
 * message is archived for both parties (archiving.ts) with a stanza-id on
 * the recipient's copy; the account queries its archive with filters and
 * RSM paging (query-form.ts, query.ts), leaving room messages out on
 * request (include-groupchat), asks for its metadata, and sets
 * archiving preferences (prefs.ts). Old items expire when retention is
 * configured (retention.ts); deleting the account deletes its archive. The
 * archive store and `append` are exported for account rooms.
 *
 * References: XEP-0313 §4 (querying), §4.4 (metadata), §5 (business rules),
 * §7 (determining support: #groupchat-field for understanding
 * include-groupchat), §8.1 (only the owner may query: forbidden);
 * XEP-0359; XEP-0441 (preferences).
 */
import { defineModule, type ModuleInstance } from '../../core/module/define-module.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { iqPayload } from '../../core/xml/stanza.js';
import { answerIq } from '../../core/router/reply.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import { createMamApi, type MamApi } from './api.js';
import { ARCHIVE_PRIORITY, archiveIncoming, archiveOutgoing } from './archiving.js';
import { MAM } from './ns.js';
import { parsePrefs, prefsElement, type ArchivePrefs } from './prefs.js';
import { parseQuery, queryFormElement } from './query-form.js';
import { finElement, findPage, metadataElement, resultMessage } from './query.js';
import { scheduleRetention } from './retention.js';

export type { MamApi, AppendOptions } from './api.js';

type Stores = { archive: 'archive'; archivePrefs: 'keyval' };
type Mam = ModuleInstance<Stores, MamApi>;

async function handleQuery(event: StanzaEvent, mod: Mam): Promise<true> {
  const { stanza, origin, to } = event;
  if (!origin?.jid) throw new StanzaError('forbidden', 'only the account may query its archive');
  const query = parseQuery(iqPayload(stanza));
  const outcome = await findPage(mod.api.store, to.local!, query);
  const archiveJid = to.bareString();
  // Flipping changes only the order of sending (XEP-0313 §4.3.4), not the page or its RSM summary.
  const items = query.flip ? [...outcome.items].reverse() : outcome.items;
  for (const item of items) {
    const message = resultMessage(item, archiveJid, origin.jid.toString(), query.queryId);
    if (message) origin.send(message);
    else mod.log.warn({ user: to.local, id: item.id }, 'unreadable archived message skipped');
  }
  return answerIq(event, finElement(outcome));
}

async function handlePrefsSet(event: StanzaEvent, mod: Mam): Promise<true> {
  const prefs: ArchivePrefs = parsePrefs(iqPayload(event.stanza));
  await mod.api.setPrefs(event.to.local!, prefs);
  return answerIq(event, prefsElement(prefs));
}

/** XEP-0313 §8.1: another account's archive is not ours to read or configure. */
function forbidden(): never {
  throw new StanzaError('forbidden', "another account's archive");
}

const archiving = (handler: typeof archiveIncoming) => ({
  priority: ARCHIVE_PRIORITY,
  handler: async (event: StanzaEvent, mod: Mam) => void (await handler(event, mod.api)),
});

export default defineModule({
  name: 'mam',
  depends: ['disco', 'roster'],
  stores: { archive: 'archive', archivePrefs: 'keyval' } as Stores,
  setup(ctx): MamApi {
    const disco = ctx.dep('disco');
    for (const feature of [MAM.ns, MAM.extended, MAM.groupchatField, MAM.stanzaIds]) disco.accountFeatures.add(feature);
    const api = createMamApi(ctx.host, ctx.stores.archive, ctx.stores.archivePrefs, ctx.dep('roster'));
    const stopRetention = scheduleRetention(api.store, ctx.config.archive.retention_days, ctx.log);
    ctx.hook('host-stopping', stopRetention);
    return api;
  },
  hooks: {
    'pre-message/bare': archiving(archiveOutgoing),
    'pre-message/full': archiving(archiveOutgoing),
    'message/bare': archiving(archiveIncoming),
    'message/full': archiving(archiveIncoming),
    'iq-set/self/urn:xmpp:mam:2:query': handleQuery,
    'iq-get/self/urn:xmpp:mam:2:query': (event) => answerIq(event, queryFormElement()),
    'iq-get/self/urn:xmpp:mam:2:metadata': async (event, mod) => answerIq(event, await metadataElement(mod.api.store, event.to.local!)),
    'iq-get/self/urn:xmpp:mam:2:prefs': async (event, mod) => answerIq(event, prefsElement(await mod.api.getPrefs(event.to.local!))),
    'iq-set/self/urn:xmpp:mam:2:prefs': handlePrefsSet,
    'iq-set/bare/urn:xmpp:mam:2:query': forbidden,
    'iq-get/bare/urn:xmpp:mam:2:query': forbidden,
    'iq-get/bare/urn:xmpp:mam:2:metadata': forbidden,
    'iq-get/bare/urn:xmpp:mam:2:prefs': forbidden,
    'iq-set/bare/urn:xmpp:mam:2:prefs': forbidden,
    'user-deleted': ({ username }, mod) => mod.api.forget(username),
  },
});
