/**
 * Config file schema: the zod description of perch.yaml (keys, types, defaults,
 * and the human-readable message for each key) plus the normalised
 * `PerchConfig` type the rest of the server consumes.
 *
 * Every object is strict so a misspelt key is reported instead of silently
 * ignored. Cross-field rules (domain vs hosts, tls.cert with tls.key) and path
 * resolution live in config.ts because they need the raw input or baseDir.
 */

import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated, defaulted, path-resolved configuration. */
export interface PerchConfig {
  /** Served domains, lowercase, at least one; hosts[0] is the primary host. */
  hosts: string[];
  /** Absolute directory for the database, generated certificates, etc. */
  data_dir: string;
  listen: {
    address: string;
    /** `false` = disabled, 0 = ephemeral port. */
    c2s: number | false;
    c2s_tls: number | false;
    http: number | false;
    /** Server-to-server with STARTTLS (RFC 6120) and with direct TLS (XEP-0368). */
    s2s: number | false;
    s2s_tls: number | false;
  };
  /** Absolute paths; both set or both undefined (self-signed fallback). */
  tls: { cert?: string; key?: string };
  auth: { allow_plain_without_tls: boolean };
  registration: { enabled: boolean };
  limits: {
    max_stanza_size: number;
    /** Per connection; 0 = unlimited. */
    rate_bytes_per_second: number;
    rate_burst_bytes: number;
    /** Seconds. */
    handshake_timeout: number;
    /** Seconds. */
    idle_timeout: number;
  };
  storage: {
    driver: 'sqlite' | 'memory';
    /** Absolute; defaults to `<data_dir>/perch.sqlite`. */
    path: string;
  };
  archive: {
    /** Days archived messages are kept (XEP-0313); 0 keeps them forever. */
    retention_days: number;
  };
  log: { level: LogLevel };
  /** Extra modules to load on top of the defaults. */
  modules: string[];
  server: { name: string };
  stream_management: {
    /** Seconds a resumable session waits for its client after the connection dies (XEP-0198). */
    hibernation_timeout: number;
    /** Unacknowledged stanzas kept per session; beyond, a hibernating session ends. */
    max_queue: number;
  };
  /** The multi-user chat service (XEP-0045), a component host. */
  muc: {
    enabled: boolean;
    /** One service per domain given (a list runs several); defaults to `rooms.<first host>`. Read it with `mucDomains()` (modules/components.ts). */
    domain: string | string[];
    /** Bare JIDs with owner rights on every room. */
    admins: string[];
    /** Who may create rooms: any local user, or only `admins`. */
    restrict_creation: 'local' | 'admins';
    /** Days a destroyed persistent room answers `gone` before its name is free again; 0 = forever. */
    tombstone_days: number;
  };
  /** Federation with other XMPP servers (RFC 6120 server-to-server, XEP-0220, XEP-0178). */
  s2s: {
    enabled: boolean;
    /** Domain → `host:port` (STARTTLS) or `xmpps://host:port` (direct TLS), tried before DNS. */
    routes: Record<string, string>;
    /** A peer must present a certificate valid for its domain; false also accepts dialback without one. */
    secure: boolean;
    /** Absolute path of extra PEM trust anchors for peer certificates. */
    ca_file?: string;
    /** Seconds without traffic before a server-to-server connection is closed. */
    idle_timeout: number;
    /** Seconds allowed to open the TCP (and direct TLS) connection to a peer, and for a peer to answer a liveness ping. */
    connect_timeout: number;
    /** Stanzas that may wait for one remote domain (connecting, authorizing, liveness check); more bounce. */
    max_queue: number;
    /** Seconds without word from a peer after which a link is pinged (XEP-0199) before it carries more stanzas. */
    ping_after: number;
  };
  /** Account-level room membership (../shared/spec/account-rooms.md). */
  account_rooms: {
    enabled: boolean;
    /** MUC service domains it applies to; empty = every service, local and remote. */
    services: string[];
    /** Whether one explicit leave ends the membership for every session, or only the last one does. */
    leave: 'last-session' | 'any-session';
    /** The `<show/>` a room sees while no session is connected (`available` sends none). */
    absent_presence: AccountShow;
    /** Seconds before a drop in the account's availability reaches its rooms. */
    presence_grace: number;
    /** Seconds after which a membership no session joined ends; 0 = never. */
    idle_leave_after: number;
    /** Seconds of silence after which a remote room is self-pinged (XEP-0410); 0 = never. */
    liveness_check: number;
    /** A room joined without a bookmark gets one (autojoin). */
    bookmark_joins: boolean;
    /** Resource globs whose sessions join rooms as plain, separate occupants. */
    exclude_resources: string[];
    /** Resource of the full JID used for rooms that refuse a bare-JID occupant. */
    resource: string;
  };
}

export const ACCOUNT_SHOWS = ['chat', 'available', 'dnd', 'away', 'xa'] as const;
export type AccountShow = (typeof ACCOUNT_SHOWS)[number];

const PORT_MESSAGE = 'expected a port number (1-65535) or false';

/** Port 0 is accepted (ephemeral, used by tests) though not advertised. */
const port = (fallback: number) =>
  z
    .union([z.literal(false), z.number({ error: PORT_MESSAGE }).int().min(0).max(65535)], {
      error: PORT_MESSAGE,
    })
    .default(fallback);

const nonEmpty = () => z.string({ error: 'expected a non-empty string' }).min(1);
const text = (fallback: string) => nonEmpty().default(fallback);
const optionalText = () => nonEmpty().optional();

const flag = (fallback: boolean) => z.boolean({ error: 'expected true or false' }).default(fallback);

const positiveInt = (fallback: number) =>
  z.number({ error: 'expected a positive integer' }).int().positive().default(fallback);

const nonNegativeInt = (fallback: number) =>
  z.number({ error: 'expected a non-negative integer' }).int().min(0).default(fallback);

/** Fractions allowed so tests can use sub-second timeouts. */
const seconds = (fallback: number) =>
  z.number({ error: 'expected a positive number of seconds' }).positive().default(fallback);

/**
 * RFC 7622 domainpart, loosely: an IP literal or dot-separated labels without
 * the characters that would make it ambiguous in a JID or in XML.
 */
export function isDomain(value: string): boolean {
  if (value.length === 0 || Buffer.byteLength(value) > 1023) return false;
  if (/^\[[0-9a-f:.]+\]$/i.test(value)) return true;
  return value.split('.').every((label) => /^[^\s@/\\"'&:<>[\]]{1,63}$/u.test(label));
}

/** `host:port` (STARTTLS) or `xmpps://host:port` (direct TLS); IPv6 hosts in brackets. */
export const ROUTE_PATTERN = /^(xmpps:\/\/)?(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/;
const ROUTE_MESSAGE = 'expected host:port or xmpps://host:port';

const domain = z
  .string({ error: 'expected a domain name' })
  .transform((s) => s.trim().toLowerCase().replace(/\.$/, ''))
  .refine(isDomain, { error: 'expected a domain name' });

/** A section may be omitted or left empty (`listen:` parses as null). */
const section = <T extends z.ZodRawShape>(shape: T) =>
  z.preprocess((v) => (v === null || v === undefined ? {} : v), z.strictObject(shape, { error: 'expected a mapping' }));

export const configSchema = z.strictObject(
  {
    domain: domain.optional(),
    hosts: z.array(domain, { error: 'expected a list of domain names' }).min(1, { error: 'expected at least one domain' }).optional(),
    data_dir: text('./data'),
    listen: section({
      address: text('127.0.0.1'),
      c2s: port(5222),
      c2s_tls: port(5223),
      http: port(5280),
      s2s: port(5269),
      s2s_tls: port(5270),
    }),
    tls: section({ cert: optionalText(), key: optionalText() }),
    auth: section({ allow_plain_without_tls: flag(false) }),
    registration: section({ enabled: flag(false) }),
    limits: section({
      max_stanza_size: positiveInt(262144),
      rate_bytes_per_second: nonNegativeInt(65536),
      rate_burst_bytes: positiveInt(262144),
      handshake_timeout: seconds(30),
      idle_timeout: seconds(600),
    }),
    storage: section({
      driver: z.enum(['sqlite', 'memory'], { error: 'expected sqlite or memory' }).default('sqlite'),
      path: optionalText(),
    }),
    archive: section({ retention_days: nonNegativeInt(0) }),
    log: section({
      level: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    }),
    modules: z.array(z.string({ error: 'expected a module name' }).min(1), { error: 'expected a list of module names' }).default([]),
    server: section({ name: text('Perch') }),
    stream_management: section({
      hibernation_timeout: seconds(300),
      max_queue: positiveInt(500),
    }),
    muc: section({
      enabled: flag(true),
      domain: z
        .union([domain, z.array(domain).min(1)], { error: 'expected a domain name or a list of domain names' })
        .optional(),
      admins: z.array(nonEmpty(), { error: 'expected a list of JIDs' }).default([]),
      restrict_creation: z.enum(['local', 'admins'], { error: 'expected local or admins' }).default('local'),
      tombstone_days: nonNegativeInt(30),
    }),
    s2s: section({
      enabled: flag(true),
      routes: z
        .record(z.string(), z.string({ error: ROUTE_MESSAGE }).regex(ROUTE_PATTERN, { error: ROUTE_MESSAGE }), {
          error: 'expected a mapping of domain names to host:port',
        })
        .refine((routes) => Object.keys(routes).every((d) => isDomain(d.toLowerCase())), { error: 'expected domain names as keys' })
        .default({}),
      secure: flag(true),
      ca_file: optionalText(),
      idle_timeout: seconds(300),
      connect_timeout: seconds(10),
      max_queue: positiveInt(1000),
      ping_after: seconds(60),
    }),
    account_rooms: section({
      enabled: flag(true),
      services: z.array(domain, { error: 'expected a list of domain names' }).default([]),
      leave: z.enum(['last-session', 'any-session'], { error: 'expected last-session or any-session' }).default('last-session'),
      absent_presence: z.enum(ACCOUNT_SHOWS, { error: `expected one of ${ACCOUNT_SHOWS.join(', ')}` }).default('xa'),
      presence_grace: z.number({ error: 'expected a non-negative number of seconds' }).min(0).default(60),
      idle_leave_after: z.number({ error: 'expected a non-negative number of seconds' }).min(0).default(0),
      liveness_check: z.number({ error: 'expected a non-negative number of seconds' }).min(0).default(900),
      bookmark_joins: flag(true),
      exclude_resources: z.array(nonEmpty(), { error: 'expected a list of resource patterns' }).default([]),
      resource: text('rooms'),
    }),
  },
  { error: 'expected a mapping' },
);

export type ParsedConfig = z.output<typeof configSchema>;
