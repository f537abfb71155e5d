/**
 * The bound sessions of one host, by account and resource: what the router
 * consults to deliver to a full JID or fan out to a bare one.
 */
import type { Session } from './session.js';

export class SessionRegistry {
  private readonly byUser = new Map<string, Map<string, Session>>();

  get(username: string, resource: string): Session | undefined {
    return this.byUser.get(username)?.get(resource);
  }

  /** Every bound session of the account (empty when offline). */
  ofUser(username: string): Session[] {
    const resources = this.byUser.get(username);
    return resources ? [...resources.values()] : [];
  }

  hasUser(username: string): boolean {
    return this.byUser.has(username);
  }

  add(username: string, resource: string, session: Session): void {
    let resources = this.byUser.get(username);
    if (!resources) this.byUser.set(username, (resources = new Map()));
    resources.set(resource, session);
  }

  /** Removes the session only if it is still the one registered there. */
  remove(username: string, resource: string, session: Session): boolean {
    const resources = this.byUser.get(username);
    if (resources?.get(resource) !== session) return false;
    resources.delete(resource);
    if (resources.size === 0) this.byUser.delete(username);
    return true;
  }

  all(): Session[] {
    const out: Session[] = [];
    for (const resources of this.byUser.values()) out.push(...resources.values());
    return out;
  }

  get size(): number {
    let n = 0;
    for (const resources of this.byUser.values()) n += resources.size;
    return n;
  }
}
