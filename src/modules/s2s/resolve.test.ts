/**
 * Tests for peer resolution: pinned routes, SRV for direct TLS and STARTTLS
 * mixed by priority and weight, "." records, and the 5269 fallback.
 *
 * References: RFC 6120 §3.2; RFC 2782; XEP-0368 §3.
 */
import { describe, expect, it } from 'vitest';
import type { SrvRecord } from 'node:dns';
import { orderSrv, parseRoute, resolveTargets, type SrvResolver } from './resolve.js';

function fakeResolver(records: Record<string, SrvRecord[]>): SrvResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async resolveSrv(name) {
      asked.push(name);
      const found = records[name];
      if (!found) throw Object.assign(new Error('queryNotFound'), { code: 'ENOTFOUND' });
      return found;
    },
  };
}

const srv = (name: string, port: number, priority: number, weight: number): SrvRecord => ({ name, port, priority, weight });

describe('parseRoute', () => {
  it('reads host:port, bracketed IPv6 and the xmpps:// prefix', () => {
    expect(parseRoute('127.0.0.1:5269')).toEqual({ host: '127.0.0.1', port: 5269, directTls: false });
    expect(parseRoute('[::1]:15269')).toEqual({ host: '::1', port: 15269, directTls: false });
    expect(parseRoute('xmpps://xmpp.example:5270')).toEqual({ host: 'xmpp.example', port: 5270, directTls: true });
  });

  it('rejects malformed values and port 0', () => {
    expect(parseRoute('nowhere')).toBeUndefined();
    expect(parseRoute('h:0')).toBeUndefined();
    expect(parseRoute('h:99999')).toBeUndefined();
  });
});

describe('resolveTargets', () => {
  it('uses a pinned route without asking DNS', async () => {
    const resolver = fakeResolver({});
    const routes = new Map([['mantua.example', '127.0.0.1:40000']]);
    expect(await resolveTargets('mantua.example', routes, resolver)).toEqual([{ host: '127.0.0.1', port: 40000, directTls: false }]);
    expect(resolver.asked).toEqual([]);
  });

  it('falls back to the domain on 5269 without SRV records', async () => {
    const resolver = fakeResolver({});
    expect(await resolveTargets('verona.example', new Map(), resolver)).toEqual([{ host: 'verona.example', port: 5269, directTls: false }]);
    expect(resolver.asked.sort()).toEqual(['_xmpp-server._tcp.verona.example', '_xmpps-server._tcp.verona.example']);
  });

  it('mixes direct TLS and STARTTLS records by priority', async () => {
    const resolver = fakeResolver({
      '_xmpps-server._tcp.a.example': [srv('tls.a.example.', 5270, 5, 0)],
      '_xmpp-server._tcp.a.example': [srv('s2s.a.example.', 5269, 10, 0), srv('first.a.example', 5269, 1, 0)],
    });
    expect(await resolveTargets('a.example', new Map(), resolver)).toEqual([
      { host: 'first.a.example', port: 5269, directTls: false },
      { host: 'tls.a.example', port: 5270, directTls: true },
      { host: 's2s.a.example', port: 5269, directTls: false },
    ]);
  });

  it('returns nothing when the only record is "."', async () => {
    const resolver = fakeResolver({ '_xmpp-server._tcp.none.example': [srv('.', 0, 0, 0)] });
    expect(await resolveTargets('none.example', new Map(), resolver)).toEqual([]);
  });

  it('asks DNS with the ASCII form of an internationalised domain', async () => {
    const resolver = fakeResolver({});
    await resolveTargets('café.example', new Map(), resolver);
    expect(resolver.asked).toContain('_xmpp-server._tcp.xn--caf-dma.example');
  });
});

describe('orderSrv', () => {
  const tagged = (name: string, priority: number, weight: number) => ({ ...srv(name, 5269, priority, weight), directTls: false });

  it('picks by weight within a priority', () => {
    const records = [tagged('light', 1, 10), tagged('heavy', 1, 90)];
    // A draw in the first 10% of the total lands on the light record first.
    expect(orderSrv(records, () => 0.05).map((t) => t.host)).toEqual(['light', 'heavy']);
    expect(orderSrv(records, () => 0.5).map((t) => t.host)).toEqual(['heavy', 'light']);
  });

  it('keeps every record once', () => {
    const records = [tagged('a', 2, 0), tagged('b', 1, 0), tagged('c', 1, 5), tagged('d', 2, 1)];
    const hosts = orderSrv(records, () => 0.99).map((t) => t.host);
    expect(hosts.slice(0, 2).sort()).toEqual(['b', 'c']);
    expect(hosts.slice(2).sort()).toEqual(['a', 'd']);
  });
});
