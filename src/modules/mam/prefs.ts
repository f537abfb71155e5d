/**
 * Archiving preferences: a default (`always`, `never`, or `roster`: only
 * contacts in the roster) and JIDs always or never archived, stored per user
 * and applied when a message is archived. A JID in both lists is never
 * archived: when in doubt, keep less.
 *
 * References: XEP-0441 §2 (prefs protocol), §2.1.1 (default behaviour),
 * §2.3 (JID matching: a listed bare JID matches any resource); XEP-0313
 * §6.1 (the user disables archiving per contact).
 */
import { StanzaError } from '../../core/errors/stanza-error.js';
import { x, type Element } from '../../core/xml/element.js';
import { tryParseJid, type JID } from '../../core/jid/jid.js';
import { MAM } from './ns.js';

export const DEFAULT_MODES = ['always', 'never', 'roster'] as const;
export type DefaultMode = (typeof DEFAULT_MODES)[number];

export interface ArchivePrefs {
  default: DefaultMode;
  always: string[];
  never: string[];
}

/** Until the user says otherwise, everything is archived (what multi-device sync needs). */
export const DEFAULT_PREFS: ArchivePrefs = { default: 'always', always: [], never: [] };

/** Parses `<prefs default=…><always/><never/></prefs>`; bad input is `bad-request`. */
export function parsePrefs(el: Element): ArchivePrefs {
  const mode = el.attrs.default;
  if (!DEFAULT_MODES.includes(mode as DefaultMode)) {
    throw new StanzaError('bad-request', `default must be one of ${DEFAULT_MODES.join(', ')}`);
  }
  return { default: mode as DefaultMode, always: jidList(el.getChild('always')), never: jidList(el.getChild('never')) };
}

function jidList(list: Element | undefined): string[] {
  const jids = new Set<string>();
  for (const item of list?.getChildren('jid') ?? []) {
    const jid = tryParseJid(item.text().trim());
    if (!jid) throw new StanzaError('bad-request', `not a JID: ${item.text()}`);
    jids.add(jid.toString());
  }
  return [...jids];
}

export function prefsElement(prefs: ArchivePrefs): Element {
  const list = (name: string, jids: string[]) => x(name, {}, ...jids.map((jid) => x('jid', {}, jid)));
  return x('prefs', { xmlns: MAM.ns, default: prefs.default }, list('always', prefs.always), list('never', prefs.never));
}

/** A listed full JID matches exactly; a listed bare JID matches every resource of it. */
function listed(list: string[], target: JID): boolean {
  return list.some((entry) => entry === target.toString() || entry === target.bareString());
}

/**
 * Whether a message to or from `target` (the other party) is archived.
 * `inRoster` is asked only for the roster default.
 */
export async function prefsAllow(prefs: ArchivePrefs, target: JID, inRoster: () => Promise<boolean>): Promise<boolean> {
  if (listed(prefs.never, target)) return false;
  if (listed(prefs.always, target)) return true;
  if (prefs.default === 'roster') return inRoster();
  return prefs.default === 'always';
}
