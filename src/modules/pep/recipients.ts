/**
 * The contacts' resources an account's PEP service knows to be available,
 * with the caps each advertised: learnt from the presence they send the
 * account, forgotten when they go offline or when the account's last
 * session ends (its next login probes them again).
 *
 * References: XEP-0163 §4.1 (presence sharing), §4.3.2 (notifications to
 * the full JIDs of available resources, by their caps), §4.3.3 (newly
 * available resources get the last items).
 */
import type { Element } from '../../core/xml/element.js';
import { NS } from '../../core/xml/ns.js';
import type { Caps } from '../caps/feature-cache.js';

/** Resources remembered per account; bounded so one account cannot grow the map without end. */
const MAX_PER_OWNER = 5000;

export class RecipientTracker {
  private readonly byOwner = new Map<string, Map<string, Caps | undefined>>();

  /**
   * Records an available resource; true when it is new or its caps changed,
   * i.e. when it should get the last published items.
   */
  update(owner: string, fullJid: string, caps: Caps | undefined): boolean {
    let resources = this.byOwner.get(owner);
    if (!resources) this.byOwner.set(owner, (resources = new Map()));
    const known = resources.has(fullJid);
    const previous = resources.get(fullJid);
    resources.set(fullJid, caps);
    if (resources.size > MAX_PER_OWNER) resources.delete(resources.keys().next().value!);
    return !known || previous?.ver !== caps?.ver || previous?.hash !== caps?.hash;
  }

  remove(owner: string, fullJid: string): void {
    const resources = this.byOwner.get(owner);
    resources?.delete(fullJid);
    if (resources?.size === 0) this.byOwner.delete(owner);
  }

  forget(owner: string): void {
    this.byOwner.delete(owner);
  }

  resources(owner: string): [string, Caps | undefined][] {
    return [...(this.byOwner.get(owner) ?? [])];
  }
}

/** The `<c/>` of a presence stanza, when it carries node, ver and hash (XEP-0115 §4). */
export function capsOf(presence: Element): Caps | undefined {
  const { node, ver, hash } = presence.getChild('c', NS.caps)?.attrs ?? {};
  return node && ver && hash ? { node, ver, hash } : undefined;
}
