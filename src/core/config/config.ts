/**
 * Config loading: reads the YAML file, validates it against the schema and
 * turns it into a normalised `PerchConfig` (single `hosts` list, absolute
 * paths). Every problem becomes a `ConfigError` whose one-line message names
 * the offending key, so the CLI can print it as is.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { configSchema, type ParsedConfig, type PerchConfig } from './schema.js';

export type { PerchConfig, LogLevel } from './schema.js';

export interface ConfigIssue {
  /** Dotted path of the bad key, e.g. `listen.c2s` or `hosts[1]`; empty for the whole file. */
  key: string;
  message: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';

  constructor(
    readonly issues: ConfigIssue[],
    /** The file the issues come from, if any; prefixed to the message. */
    readonly file?: string,
  ) {
    const list = issues.map((i) => (i.key ? `${i.key}: ${i.message}` : i.message)).join('; ');
    super(file ? `${file}: ${list}` : list);
  }
}

/** Validate `raw` (parsed YAML), apply defaults and resolve paths against baseDir. */
export function parseConfig(raw: unknown, baseDir: string): PerchConfig {
  // An empty YAML file parses to null: that means "all defaults".
  const input = raw === null || raw === undefined ? {} : raw;
  const result = configSchema.safeParse(input);
  const issues = [...crossCheck(input), ...(result.success ? [] : result.error.issues.flatMap(toIssues))];
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  return normalise(result.data, baseDir);
}

/**
 * Load the config from `file`, else $PERCH_CONFIG, else use the defaults with
 * paths relative to the working directory.
 */
export async function loadConfig(file?: string): Promise<PerchConfig> {
  const chosen = file || process.env.PERCH_CONFIG || undefined;
  if (!chosen) return parseConfig({}, process.cwd());
  const absolute = path.resolve(chosen);
  const raw = parseYaml(await readText(chosen, absolute), chosen);
  try {
    return parseConfig(raw, path.dirname(absolute));
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues, chosen);
    throw err;
  }
}

async function readText(display: string, absolute: string): Promise<string> {
  try {
    return await readFile(absolute, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError([{ key: '', message: `cannot read config file: ${reason}` }], display);
  }
}

function parseYaml(text: string, file: string): unknown {
  try {
    return YAML.parse(text);
  } catch (err) {
    if (!(err instanceof YAML.YAMLParseError)) throw err;
    // yaml's message carries a multi-line source excerpt; keep the first sentence.
    const reason = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const pos = err.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
    throw new ConfigError([{ key: '', message: `YAML syntax error at ${where}${reason}` }], file);
  }
}

/** Rules spanning several keys, checked on the raw input so they are reported together with type errors. */
function crossCheck(raw: unknown): ConfigIssue[] {
  if (!isRecord(raw)) return [];
  const issues: ConfigIssue[] = [];
  if (raw.domain != null && raw.hosts != null) {
    issues.push({ key: 'hosts', message: 'give either domain or hosts, not both' });
  }
  if (isRecord(raw.tls)) {
    const hasCert = raw.tls.cert != null;
    const hasKey = raw.tls.key != null;
    if (hasCert && !hasKey) issues.push({ key: 'tls.key', message: 'required when tls.cert is set' });
    if (hasKey && !hasCert) issues.push({ key: 'tls.cert', message: 'required when tls.key is set' });
  }
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One zod issue → one issue per bad key (unknown keys are listed individually). */
function toIssues(issue: z.core.$ZodIssue): ConfigIssue[] {
  const key = dotted(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ key: dotted([...issue.path, k]), message: 'unknown key' }));
  }
  if (!key) return [{ key: '', message: `top level: ${issue.message}` }];
  return [{ key, message: issue.message }];
}

/** `['listen', 'c2s']` → `listen.c2s`; `['hosts', 1]` → `hosts[1]`. */
function dotted(parts: PropertyKey[]): string {
  return parts.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

function normalise(parsed: ParsedConfig, baseDir: string): PerchConfig {
  const { domain, hosts, ...rest } = parsed;
  const resolve = (p: string) => path.resolve(baseDir, p);
  const dataDir = resolve(parsed.data_dir);
  const servedHosts = [...new Set(hosts ?? [domain ?? 'localhost'])];
  return {
    hosts: servedHosts,
    ...rest,
    muc: { ...parsed.muc, domain: parsed.muc.domain ?? `rooms.${servedHosts[0]}` },
    data_dir: dataDir,
    tls: {
      cert: parsed.tls.cert === undefined ? undefined : resolve(parsed.tls.cert),
      key: parsed.tls.key === undefined ? undefined : resolve(parsed.tls.key),
    },
    s2s: {
      ...parsed.s2s,
      routes: Object.fromEntries(Object.entries(parsed.s2s.routes).map(([d, target]) => [d.toLowerCase().replace(/\.$/, ''), target])),
      ca_file: parsed.s2s.ca_file === undefined ? undefined : resolve(parsed.s2s.ca_file),
    },
    storage: {
      driver: parsed.storage.driver,
      path: parsed.storage.path === undefined ? path.join(dataDir, 'perch.sqlite') : resolve(parsed.storage.path),
    },
  };
}
