/**
 * Component hosts: services on their own domain (the MUC service on
 * `rooms.<domain>`) that load their own short module list instead of the
 * user-facing defaults (no roster, offline storage or carbons there).
 *
 * References: XEP-0045 §4.2 (a MUC service is addressed by its own domain).
 */
import type { PerchConfig } from '../core/config/config.js';
import type { AnyModule } from '../core/module/loader.js';
import { registry } from './index.js';
import muc from './muc/index.js';

export interface ComponentHost {
  domain: string;
  modules: AnyModule[];
}

export function componentHosts(config: PerchConfig): ComponentHost[] {
  const components: ComponentHost[] = [];
  if (config.muc.enabled) components.push({ domain: config.muc.domain, modules: [registry.iq, registry.disco, muc] });
  return components;
}
