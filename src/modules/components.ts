/**
 * Component hosts: services on their own domain (the MUC service on
 * `rooms.<domain>`) that load their own short module list instead of the
 * user-facing defaults (no roster, offline storage or carbons there).
 * `muc.domain` may list several domains: each runs its own MUC service
 * with the same settings, its own rooms and its own stores.
 *
 * References: XEP-0045 §4.2 (a MUC service is addressed by its own
 * domain), §6.1 (a server may host several services, each a disco item).
 */
import type { PerchConfig } from '../core/config/config.js';
import type { AnyModule } from '../core/module/loader.js';
import { registry } from './index.js';
import muc from './muc/index.js';

export interface ComponentHost {
  domain: string;
  modules: AnyModule[];
}

/** The MUC service domains, in configuration order, each once (one string or a list). */
export function mucDomains(config: PerchConfig): string[] {
  return [...new Set([config.muc.domain].flat())];
}

export function componentHosts(config: PerchConfig): ComponentHost[] {
  if (!config.muc.enabled) return [];
  return mucDomains(config).map((domain) => ({ domain, modules: [registry.iq, registry.disco, muc] }));
}
