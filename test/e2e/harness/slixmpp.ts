/**
 * Runs the slixmpp driver (`test/e2e/slixmpp/client.py`), a second client
 * library independent of @xmpp/client, against a TestServer: writes the
 * scenario to its stdin and parses the JSON events it prints. Stanzas the
 * driver received come back parsed, so tests can assert on attributes.
 *
 * References: RFC 6120 §4–§7 (what the driver negotiates); XEP-0368.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseXml } from '../../../src/core/xml/parse-one.js';
import type { Element } from '../../../src/core/xml/element.js';
import type { TestServer } from './start-server.js';

/** Debian's interpreter, where slixmpp is installed (another python3 may come first on PATH). */
const PYTHON = '/usr/bin/python3';
const DRIVER = fileURLToPath(new URL('../slixmpp/client.py', import.meta.url));

export type Step =
  | { send: string }
  | { iq: string; timeout?: number }
  | { wait: { name?: string; contains?: string | string[]; event?: string; timeout?: number } }
  | { presence: { to?: string; type?: string; status?: string; priority?: number } }
  | { sleep: number }
  | { mark: string }
  /** Drop the connection without closing the stream (needs `streamManagement`). */
  | { cut: true }
  /** Connect again; slixmpp resumes the stream (then wait for `{ event: 'resumed' }`). */
  | { reconnect: true }
  /** Join with slixmpp's XEP-0045 plugin (needs `muc`); prints `muc_joined` once the subject came. */
  | { muc_join: { room: string; nick: string; maxstanzas?: number; timeout?: number } };

export interface DriverOptions {
  username: string;
  password: string;
  resource?: string;
  /** STARTTLS (default), direct TLS (XEP-0368) or never TLS. */
  transport?: 'starttls' | 'tls' | 'plain';
  mechanism?: string;
  scenario?: Step[];
  /** Seconds for the whole run, login included. */
  timeout?: number;
  /** Load slixmpp's XEP-0198 plugin (resumable stream management). */
  streamManagement?: boolean;
  /** Load slixmpp's XEP-0045 plugin (for `muc_join` steps). */
  muc?: boolean;
}

export interface DriverEvent {
  event: string;
  xml?: string;
  jid?: string;
  mechanism?: string;
  condition?: string;
  reason?: string | null;
  name?: string;
  id?: string;
  step?: number | string;
  /** `muc_joined`: the self-presence and subject as slixmpp saw them, occupant JIDs, history bodies. */
  self?: string;
  subject?: string;
  occupants?: string[];
  history?: string[];
}

export interface DriverResult {
  /** 0: scenario completed; 2: login failed; 3: a wait timed out. */
  code: number;
  events: DriverEvent[];
  stderr: string;
  /** The session's full JID, once bound. */
  jid?: string;
  /** Received stanzas, parsed, optionally only those with this name. */
  stanzas(name?: string): Element[];
  /** The reply to the scenario's IQ with this id. */
  reply(id: string): Element;
}

export class RunningDriver {
  readonly events: DriverEvent[] = [];
  readonly done: Promise<DriverResult>;
  private exited = false;
  private listeners: (() => void)[] = [];

  constructor(server: TestServer, options: DriverOptions) {
    const child = spawn(PYTHON, driverArgs(server, options), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const lines = stdout.split('\n');
      stdout = lines.pop()!;
      for (const line of lines) if (line.trim()) this.push(JSON.parse(line) as DriverEvent);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.end(JSON.stringify(options.scenario ?? []));
    this.done = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        resolve(makeResult(code ?? -1, this.events, stderr));
        this.exited = true;
        for (const listener of [...this.listeners]) listener();
      });
    });
  }

  /** Resolves with the first event matching, past or future; rejects if the driver exits first. */
  waitFor(match: (e: DriverEvent) => boolean, timeoutMs = 10_000): Promise<DriverEvent> {
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`slixmpp driver: ${why}; events so far:\n${this.events.map((e) => JSON.stringify(e)).join('\n')}`));
      };
      const timer = setTimeout(() => fail('timed out'), timeoutMs);
      const check = (): void => {
        const found = this.events.find(match);
        if (found) {
          clearTimeout(timer);
          this.listeners = this.listeners.filter((l) => l !== check);
          resolve(found);
        } else if (this.exited) {
          fail('exited before the awaited event');
        }
      };
      this.listeners.push(check);
      check();
    });
  }

  /** The session's full JID, once bound. */
  get jid(): string | undefined {
    return this.events.find((e) => e.event === 'session_start')?.jid;
  }

  /** Resolves once the scenario reaches `{ mark: name }`. */
  mark(name: string): Promise<DriverEvent> {
    return this.waitFor((e) => e.event === 'mark' && e.name === name);
  }

  private push(event: DriverEvent): void {
    this.events.push(event);
    for (const listener of [...this.listeners]) listener();
  }
}

export function startDriver(server: TestServer, options: DriverOptions): RunningDriver {
  return new RunningDriver(server, options);
}

export function runDriver(server: TestServer, options: DriverOptions): Promise<DriverResult> {
  return startDriver(server, options).done;
}

/**
 * Runs two drivers together: `second` starts once `first` reaches
 * `{ mark: 'ready' }` (e.g. after its presence), so `first` can wait for
 * what `second` sends.
 */
export async function runPair(
  server: TestServer,
  first: DriverOptions,
  second: (firstJid: string) => DriverOptions,
): Promise<[DriverResult, DriverResult]> {
  const a = startDriver(server, first);
  await a.mark('ready');
  const b = await runDriver(server, second(a.jid!));
  return [await a.done, b];
}

/** A readable dump of a run, for assertion messages. */
export function dumpRun(result: DriverResult): string {
  return `exit ${result.code}\n${result.events.map((e) => JSON.stringify(e)).join('\n')}\n${result.stderr}`;
}

function driverArgs(server: TestServer, options: DriverOptions): string[] {
  const transport = options.transport ?? 'starttls';
  const jid = `${options.username}@${server.domain}${options.resource ? `/${options.resource}` : ''}`;
  const port = transport === 'tls' ? server.ports.c2s_tls : server.ports.c2s;
  const args = [DRIVER, '--jid', jid, '--password', options.password, '--port', String(port)];
  if (transport === 'tls') args.push('--direct-tls');
  if (transport === 'plain') args.push('--plaintext');
  if (options.mechanism) args.push('--mechanism', options.mechanism);
  if (options.timeout) args.push('--timeout', String(options.timeout));
  if (options.streamManagement) args.push('--stream-management');
  if (options.muc) args.push('--muc');
  return args;
}

function makeResult(code: number, events: DriverEvent[], stderr: string): DriverResult {
  const parsed = (e: DriverEvent): Element => {
    const el = parseXml(e.xml!);
    if (!el) throw new Error(`slixmpp driver printed unparsable XML: ${e.xml}`);
    return el;
  };
  return {
    code,
    events,
    stderr,
    jid: events.find((e) => e.event === 'session_start')?.jid,
    stanzas: (name) => events.filter((e) => e.event === 'stanza').map(parsed).filter((el) => !name || el.name === name),
    reply(id) {
      const event = events.find((e) => e.event === 'reply' && e.id === id);
      if (!event) throw new Error(`no reply to iq ${id}:\n${dumpRun(this)}`);
      return parsed(event);
    },
  };
}
