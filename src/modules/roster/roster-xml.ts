/**
 * Translation between roster data and `jabber:iq:roster` XML: items for
 * results and pushes, and the parsing of a client's roster set.
 *
 * References: RFC 6121 §2.1.2 (the item element), §2.1.5 (roster set),
 * §2.1.6 (roster push), §2.3.3 (roster set errors); XEP-0237 §2 (`ver`).
 */
import { Element, x } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import { StanzaError } from '../../core/errors/stanza-error.js';
import { tryParseJid } from '../../core/jid/jid.js';
import type { ItemUpdate, RosterData, RosterItem } from './roster-state.js';

/** An `<item/>`; `'remove'` makes the push announcing a deletion (RFC 6121 §2.5.2). */
export function itemElement(jid: string, item: RosterItem | 'remove'): Element {
  if (item === 'remove') return x('item', { jid, subscription: 'remove' });
  const el = x('item', {
    jid,
    name: item.name,
    subscription: item.subscription,
    ask: item.ask,
    approved: item.approved ? 'true' : undefined,
  });
  for (const group of item.groups) el.append(x('group', {}, group));
  return el;
}

export function rosterQuery(roster: RosterData, ver: string | undefined): Element {
  const query = x('query', { xmlns: NS.roster, ver });
  const jids = Object.keys(roster.items).sort();
  for (const jid of jids) query.append(itemElement(jid, roster.items[jid]));
  return query;
}

/** Reads the single item of a roster set; throws the RFC 6121 §2.3.3 errors for its shape. */
export function parseRosterSet(query: Element): ItemUpdate {
  const items = query.getChildren('item', NS.roster);
  if (items.length !== 1 || query.elements().length !== 1) {
    throw new StanzaError('bad-request', 'a roster set carries exactly one item');
  }
  const [item] = items;
  const jidAttr = item.attrs.jid;
  if (jidAttr === undefined) throw new StanzaError('bad-request', 'item without jid');
  const jid = tryParseJid(jidAttr);
  if (!jid) throw new StanzaError('jid-malformed', 'invalid item jid');
  return {
    jid: jid.toString(),
    name: item.attrs.name,
    groups: item.getChildren('group').map((g) => g.text()),
    remove: item.attrs.subscription === 'remove',
  };
}
