/**
 * Checks of a client's stream header (TCP `<stream:stream>`) or RFC 7395
 * `<open/>`: namespaces, the host it is for, the version.
 *
 * References: RFC 6120 §4.7 (stream attributes), §4.8 (namespaces),
 * §4.9.3.6 (host-unknown), §4.9.3.25 (unsupported-version); RFC 7395 §3.4.
 */
import { NS } from '../xml/ns.js';
import { StreamError } from '../errors/stream-error.js';
import type { Host } from '../host.js';
import type { Server } from '../server.js';

/** The `stream` element in the streams namespace, with jabber:client as default namespace. */
export function checkStreamNamespaces(name: string, attrs: Record<string, string>): StreamError | undefined {
  const colon = name.indexOf(':');
  const local = colon < 0 ? name : name.slice(colon + 1);
  const streamNs = colon < 0 ? attrs.xmlns : attrs[`xmlns:${name.slice(0, colon)}`];
  if (local !== 'stream' || streamNs !== NS.streams) return new StreamError('invalid-namespace');
  if (colon >= 0 && attrs.xmlns !== NS.client) return new StreamError('invalid-namespace', 'expected jabber:client');
  return undefined;
}

/**
 * The host a header is for (the default host without `to`), which must not
 * change on a stream restart, and version 1.x.
 */
export function resolveStreamHost(
  server: Server,
  current: Host | undefined,
  attrs: Record<string, string | undefined>,
): { host?: Host; error?: StreamError } {
  const to = attrs.to?.toLowerCase();
  const host = to ? server.hosts.get(to) : server.defaultHost;
  if (!host || !host.acceptsClients) return { error: new StreamError('host-unknown', `${to} is not served here`) };
  if (current && current !== host) return { error: new StreamError('host-unknown', 'host changed on restart') };
  const version = attrs.version;
  if (!version || !/^1\.\d+$/.test(version)) return { host, error: new StreamError('unsupported-version', 'version 1.0 required') };
  return { host };
}
