/**
 * Component hosts from the configuration: one MUC service per `muc.domain`
 * entry (a string or a list), none when the service is disabled, and the
 * default `rooms.<first host>`.
 *
 * References: XEP-0045 §4.2 (a service per domain), §6.1 (several services).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../core/config/config.js';
import { componentHosts, mucDomains } from './components.js';

const BASE = '/tmp/perch-components-test';
const domainsOf = (muc: Record<string, unknown>) => componentHosts(parseConfig({ hosts: ['example.org', 'example.net'], muc }, BASE)).map((c) => c.domain);

describe('MUC component hosts', () => {
  it('runs one service on rooms.<first host> by default, and one on a single configured domain', () => {
    expect(domainsOf({})).toEqual(['rooms.example.org']);
    expect(domainsOf({ domain: 'Chat.Example.org' })).toEqual(['chat.example.org']);
  });

  it('runs one service per listed domain, each once, in order', () => {
    expect(domainsOf({ domain: ['rooms.example.org', 'muc.example.net', 'rooms.example.org'] })).toEqual(['rooms.example.org', 'muc.example.net']);
    const config = parseConfig({ muc: { domain: ['a.example', 'b.example'] } }, BASE);
    expect(mucDomains(config)).toEqual(['a.example', 'b.example']);
    expect(componentHosts(config).every((c) => c.modules.some((m) => m.name === 'muc'))).toBe(true);
  });

  it('runs none when disabled, and refuses an empty list or a bad domain', () => {
    expect(domainsOf({ enabled: false, domain: ['a.example'] })).toEqual([]);
    expect(() => parseConfig({ muc: { domain: [] } }, BASE)).toThrow(ConfigError);
    expect(() => parseConfig({ muc: { domain: ['bad domain'] } }, BASE)).toThrow(ConfigError);
    expect(() => parseConfig({ muc: { tombstone_days: -1 } }, BASE)).toThrow(ConfigError);
  });
});
