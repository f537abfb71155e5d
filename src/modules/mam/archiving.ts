/**
 * Archiving one-to-one messages in both accounts' archives. On the sender's
 * host (`pre-message`, after blocking has had its say) the message goes
 * into the sender's archive; on the recipient's host (`message/*`, before
 * delivery) into the recipient's, and the recipient's copy gets the
 * archive's `<stanza-id/>`, so live sessions, carbons and offline storage
 * all carry it. A message to oneself is archived once, on arrival. Neither
 * hook ever stops the event.
 *
 * References: XEP-0313 §3.5 (stanza-id on archived messages, only for the
 * archive's owner), §5.1.1 (what a user archive holds, stored once);
 * XEP-0359 §4 (forged stanza-ids removed); XEP-0441 §2.3 (outgoing: match
 * `to`; incoming: match `from`).
 */
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Host } from '../../core/host.js';
import { sentIds, type MamApi } from './api.js';
import { isArchivable, stampStanzaId, stripStanzaIds } from './eligibility.js';

/** Between blocking (100) and delivery (0). */
export const ARCHIVE_PRIORITY = 50;

/** `pre-message/bare|full`: the sender's copy. */
export async function archiveOutgoing({ stanza, origin, from, to }: StanzaEvent, api: MamApi): Promise<void> {
  if (!origin || from.local === undefined) return;
  const account = from.bareString();
  // Neither archive may be spoken for by the sender, not even in the sender's own copy.
  stripStanzaIds(stanza, account);
  stripStanzaIds(stanza, to.bareString());
  if (to.bareString() === account || !isArchivable(stanza)) return;
  if (!(await api.mayArchive(from.local, to))) return;
  sentIds.set(stanza, await api.append(from.local, stanza, { with: to.bareString() }));
}

/** `message/bare|full`: the recipient's copy, stamped before delivery. */
export async function archiveIncoming({ stanza, from, to, host }: StanzaEvent, api: MamApi): Promise<void> {
  const account = to.bareString();
  stripStanzaIds(stanza, account);
  if (!isArchivable(stanza) || !(await accountExists(host, to.local!))) return;
  if (!(await api.mayArchive(to.local!, from))) return;
  stampStanzaId(stanza, account, await api.append(to.local!, stanza, { with: from.bareString() }));
}

async function accountExists(host: Host, username: string): Promise<boolean> {
  return host.sessions.ofUser(username).length > 0 || host.server.accounts.exists(username, host.name);
}
