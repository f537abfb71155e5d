/**
 * Where to connect for a remote domain: a pinned `s2s.routes` entry first,
 * then DNS SRV records for direct TLS (`_xmpps-server._tcp`) and STARTTLS
 * (`_xmpp-server._tcp`) mixed by priority and weight, then the domain itself
 * on port 5269. The resolver is injectable so tests need no DNS.
 *
 * References: RFC 6120 §3.2 (resolution of fully qualified domain names,
 * §3.2.1 SRV lookup, "." meaning no service, §3.2.2 fallback to 5269);
 * RFC 2782 (priority and weight ordering); XEP-0368 §3 (_xmpps-server,
 * mixing both record sets).
 */
import { promises as dns, type SrvRecord } from 'node:dns';
import { domainToASCII } from 'node:url';
import { ROUTE_PATTERN } from '../../core/config/schema.js';

export interface ConnectTarget {
  host: string;
  port: number;
  /** TLS from the first byte (XEP-0368) rather than STARTTLS. */
  directTls: boolean;
}

/** The part of `node:dns` promises resolution needs. */
export interface SrvResolver {
  resolveSrv(name: string): Promise<SrvRecord[]>;
}

export const DEFAULT_S2S_PORT = 5269;

/** `host:port` (STARTTLS) or `xmpps://host:port` (direct TLS); undefined when malformed. */
export function parseRoute(value: string): ConnectTarget | undefined {
  const match = ROUTE_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[2].replace(/^\[(.*)\]$/, '$1'), port, directTls: match[1] !== undefined };
}

/**
 * The ordered list of targets to try for `domain`. Never empty: without a
 * route or SRV records the domain itself on 5269 is tried.
 */
export async function resolveTargets(
  domain: string,
  routes: ReadonlyMap<string, string>,
  resolver: SrvResolver = dns,
  random: () => number = Math.random,
): Promise<ConnectTarget[]> {
  const pinned = routes.get(domain);
  const route = pinned === undefined ? undefined : parseRoute(pinned);
  if (route) return [route];
  const ascii = domainToASCII(domain) || domain;
  const [direct, starttls] = await Promise.all([
    lookup(resolver, `_xmpps-server._tcp.${ascii}`, true),
    lookup(resolver, `_xmpp-server._tcp.${ascii}`, false),
  ]);
  // RFC 6120 §3.2.1: a single record with target "." says the service is
  // decidedly not offered by that method.
  const usable = [...direct, ...starttls].filter((r) => r.name !== '' && r.name !== '.');
  if (usable.length > 0) return orderSrv(usable, random);
  if (direct.length + starttls.length > 0) return [];
  return [{ host: ascii, port: DEFAULT_S2S_PORT, directTls: false }];
}

type TaggedSrv = SrvRecord & { directTls: boolean };

async function lookup(resolver: SrvResolver, name: string, directTls: boolean): Promise<TaggedSrv[]> {
  try {
    return (await resolver.resolveSrv(name)).map((r) => ({ ...r, name: r.name.replace(/\.$/, '') || '.', directTls }));
  } catch {
    // NXDOMAIN, no data or a DNS failure all mean "no SRV records" here.
    return [];
  }
}

/**
 * Lowest priority first; within one priority, a weighted random order
 * (RFC 2782): zero-weight records first in the pool, each pick with
 * probability proportional to its weight.
 */
export function orderSrv(records: TaggedSrv[], random: () => number = Math.random): ConnectTarget[] {
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b);
  const ordered: ConnectTarget[] = [];
  for (const priority of priorities) {
    const pool = records.filter((r) => r.priority === priority).sort((a, b) => a.weight - b.weight);
    while (pool.length > 0) {
      const total = pool.reduce((sum, r) => sum + r.weight, 0);
      const threshold = random() * total;
      let running = 0;
      let index = pool.findIndex((r) => (running += r.weight) >= threshold && (r.weight > 0 || total === 0));
      if (index < 0) index = pool.length - 1;
      const [picked] = pool.splice(index, 1);
      ordered.push({ host: picked.name, port: picked.port, directTls: picked.directTls });
    }
  }
  return ordered;
}
