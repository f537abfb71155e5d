/**
 * Roster management: roster get (with XEP-0237 versioning), roster set and
 * remove with pushes, the stream features announcing versioning and
 * subscription pre-approval, and the typed API presence builds on.
 *
 * References: RFC 6121 §2 (managing the roster), §2.5.2 (removal cancels
 * subscriptions), §2.6 and XEP-0237 (roster versioning), §3.4 (pre-approval
 * stream feature).
 */
import './events.js';
import { defineModule, type ModuleInstance } from '../../core/module/define-module.js';
import { x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { iqPayload, iqResult } from '../../core/xml/stanza.js';
import { parseJid } from '../../core/jid/jid.js';
import type { StanzaEvent } from '../../core/events/event-map.js';
import type { Host } from '../../core/host.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { createRosterApi, type RosterApi } from './api.js';
import { parseRosterSet, rosterQuery } from './roster-xml.js';
import { checkUpdate, editedItem, hasFrom, hasTo, versionString, type RosterItem } from './roster-state.js';

export type { RosterApi } from './api.js';
export type { RosterItem, RosterData, Subscription } from './roster-state.js';

type Stores = { roster: 'keyval' };
type Roster = ModuleInstance<Stores, RosterApi>;

async function handleGet({ stanza, origin }: StanzaEvent, mod: Roster): Promise<boolean> {
  if (!origin?.username) throw new StanzaError('forbidden');
  origin.interested = true;
  const roster = await mod.api.get(origin.username);
  const current = versionString(roster);
  // XEP-0237 §3: an up-to-date cache gets an empty result and no pushes.
  if (iqPayload(stanza).attrs.ver === current) origin.send(iqResult(stanza));
  else origin.send(iqResult(stanza, rosterQuery(roster, current)));
  return true;
}

async function handleSet({ stanza, origin, host }: StanzaEvent, mod: Roster): Promise<boolean> {
  const username = origin?.username;
  if (!username) throw new StanzaError('forbidden');
  const update = parseRosterSet(iqPayload(stanza));
  if (update.remove) {
    const { before } = await mod.api.update(username, update.jid, (item) => {
      if (!item) throw new StanzaError('item-not-found', 'no such roster item');
      return undefined;
    });
    await cancelSubscriptions(host, username, update.jid, before!);
    await host.bus.fire('roster-item-removed', { host, username, jid: update.jid, item: before! });
  } else {
    checkUpdate(update);
    await mod.api.update(username, update.jid, (item, roster) => editedItem(item, update, Object.keys(roster.items).length));
  }
  origin!.send(iqResult(stanza));
  return true;
}

/**
 * RFC 6121 §2.5.2: removing an item ends both subscription directions. The
 * contact first learns the user went offline, so its client does not keep
 * showing a presence it will no longer be told about.
 */
async function cancelSubscriptions(host: Host, username: string, jid: string, item: RosterItem): Promise<void> {
  const contact = parseJid(jid).bare().toString();
  const bare = `${username}@${host.name}`;
  if (hasFrom(item)) {
    for (const session of host.sessions.ofUser(username)) {
      if (session.presence) await host.route(x('presence', { type: 'unavailable', from: session.jid!.toString(), to: contact }));
    }
  }
  if (hasTo(item) || item.ask) await host.route(x('presence', { type: 'unsubscribe', from: bare, to: contact }));
  if (hasFrom(item)) await host.route(x('presence', { type: 'unsubscribed', from: bare, to: contact }));
}

export default defineModule({
  name: 'roster',
  stores: { roster: 'keyval' } as Stores,
  setup: (ctx) => createRosterApi(ctx.host, ctx.stores.roster),
  hooks: {
    'stream-features': ({ session, features }) => {
      if (!session.authenticated) return;
      features.append(x('ver', { xmlns: NS.rosterver }), x('sub', { xmlns: NS.subPreApproval }));
    },
    'iq-get/self/jabber:iq:roster:query': handleGet,
    'iq-set/self/jabber:iq:roster:query': handleSet,
    'user-deleted': async ({ username }, mod) => {
      await mod.stores.roster.delete(username);
    },
  },
});
