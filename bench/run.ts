/**
 * `npm run bench`: runs the load scenarios (logins, messages, memory,
 * hibernation, groupchat, muc-join, account-rooms) against Perch and, when installed and not `--perch-only`,
 * Prosody, one server at a time with the same generator and workload, each
 * scenario on a freshly started server; then prints a Markdown report. A
 * scenario may measure a server in several variants (account-rooms: Perch
 * with account rooms on and off), each its own column and table. With
 * `--target` it measures an already running server instead. Bounded in count
 * and time; child processes and temp dirs are removed on exit, error or Ctrl-C.
 * The archive scenario measures Perch's storage in this process, no server;
 * account-rooms-s2s starts its own two federated Perch servers per column.
 *
 *   npm run bench [-- --scenario logins|messages|memory|hibernation|groupchat|muc-join|account-rooms|account-rooms-s2s|archive]
 *     [--perch-only] [--archive-size 1000000] [--occupants 500] [--ar-accounts 200] [--ar-sessions 3]
 *     [--s2s-accounts 50] [--s2s-sessions 3] [--s2s-messages 200] [--s2s-senders 1]
 *   npm run bench -- --target 127.0.0.1:5222 --domain example.org --accounts bench,secret [--accounts-count 1000] [--pid 1234]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { logins } from './scenarios/logins.js';
import { messages } from './scenarios/messages.js';
import { memory } from './scenarios/memory.js';
import { hibernation } from './scenarios/hibernation.js';
import { archiveScenario } from './scenarios/archive.js';
import { groupchatScenario, mucJoinScenario } from './scenarios/groupchat.js';
import { accountRoomsScenario } from './scenarios/account-rooms.js';
import { accountRoomsS2sScenario } from './scenarios/account-rooms-s2s.js';
import type { LocalScenario, Metric, Scenario, SelfStartingScenario, Variant } from './scenarios/scenario.js';
import { perchVersion, preparePerch } from './servers/perch.js';
import { PROSODY_BIN, prepareProsody, prosodyInstalled } from './servers/prosody.js';
import type { AccountSet, RunningTarget, ServerUnderTest } from './servers/common.js';
import { commandLine, machineLines, resultsTables, type ScenarioResults } from './report.js';

type AnyScenario = Scenario | LocalScenario | SelfStartingScenario;
const scenarioList = (opts: ReturnType<typeof options>): AnyScenario[] => [
  logins,
  messages,
  memory,
  hibernation,
  groupchatScenario(Number(opts.occupants)),
  mucJoinScenario(Number(opts.occupants)),
  accountRoomsScenario(Number(opts['ar-accounts']), Number(opts['ar-sessions'])),
  accountRoomsS2sScenario({
    accounts: Number(opts['s2s-accounts']),
    sessions: Number(opts['s2s-sessions']),
    messages: Number(opts['s2s-messages']),
    senders: Number(opts['s2s-senders']),
  }),
  archiveScenario(Number(opts['archive-size'])),
];
const isLocal = (s: AnyScenario): s is LocalScenario => 'local' in s;
const isSelfStarting = (s: AnyScenario): s is SelfStartingScenario => 'selfStarting' in s;
/** Whole-run bound: a wedged server must not hang the benchmark. */
const OVERALL_LIMIT_MS = 20 * 60_000;

const HELP = `usage: npm run bench -- [options]
  --scenario <name>        only run logins, messages, memory, hibernation, groupchat, muc-join, account-rooms,
                           account-rooms-s2s or archive
  --occupants <N>          occupants of the room in groupchat and muc-join (default 500)
  --ar-accounts <K>        accounts in the room in account-rooms (default 200)
  --ar-sessions <S>        sessions of each of them in the room (default 3)
  --s2s-accounts <K>       account-rooms-s2s: accounts on server A in the room on server B (default 50)
  --s2s-sessions <S>       sessions of each of them (default 3)
  --s2s-messages <N>       room messages sent on B (default 200)
  --s2s-senders <M>        sender accounts on B (default 1)
  --archive-size <N>       messages in the archive the archive scenario queries (default 1000000)
  --perch-only             do not run Prosody even if installed
  --target <host:port>     measure an already running server (plaintext c2s)
  --domain <domain>        its XMPP domain (default localhost)
  --accounts <prefix,pw>   its accounts <prefix>0..<prefix>N-1, all with password pw
  --accounts-count <N>     how many such accounts exist (default 1000)
  --pid <pid>              its process id, for CPU and memory figures
For memory figures of an external server, start it fresh and use --scenario memory:
earlier scenarios grow its heap and hide the cost of sessions (likewise --scenario hibernation).`;

function progress(server: string, scenario: string) {
  return (line: string) => process.stderr.write(`bench: ${server} ${scenario}: ${line}\n`);
}

function options() {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      'perch-only': { type: 'boolean', default: false },
      target: { type: 'string' },
      domain: { type: 'string', default: 'localhost' },
      accounts: { type: 'string', default: 'bench,bench-pass' },
      'accounts-count': { type: 'string', default: '1000' },
      pid: { type: 'string' },
      'archive-size': { type: 'string', default: '1000000' },
      occupants: { type: 'string', default: '500' },
      'ar-accounts': { type: 'string', default: '200' },
      'ar-sessions': { type: 'string', default: '3' },
      's2s-accounts': { type: 'string', default: '50' },
      's2s-sessions': { type: 'string', default: '3' },
      's2s-messages': { type: 'string', default: '200' },
      's2s-senders': { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  });
  return values;
}

function pickScenarios(name: string | undefined, all: AnyScenario[]): AnyScenario[] {
  if (name === undefined) return all;
  const found = all.find((s) => s.name === name);
  if (!found) throw new Error(`unknown scenario ${name} (expected ${all.map((s) => s.name).join(', ')})`);
  return [found];
}

function accountSet(spec: string, count: number): AccountSet {
  const comma = spec.indexOf(',');
  if (comma <= 0 || comma === spec.length - 1) throw new Error('--accounts expects prefix,password');
  return { prefix: spec.slice(0, comma), password: spec.slice(comma + 1), count };
}

/** An external server wrapped as a ServerUnderTest that is never started or stopped. */
function externalTarget(spec: string, domain: string, accounts: AccountSet, pid?: number): ServerUnderTest {
  const colon = spec.lastIndexOf(':');
  const port = Number(spec.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port)) throw new Error('--target expects host:port');
  const running: RunningTarget = { host: spec.slice(0, colon), port, domain, pid, stop: async () => {} };
  return { name: 'target', version: spec, accounts, start: async () => running, dispose: async () => {} };
}

async function prepareServers(opts: ReturnType<typeof options>, accountsNeeded: number): Promise<ServerUnderTest[]> {
  const count = Number(opts['accounts-count']);
  if (opts.target) {
    const pid = opts.pid === undefined ? undefined : Number(opts.pid);
    return [externalTarget(opts.target, opts.domain, accountSet(opts.accounts, count), pid)];
  }
  const accounts: AccountSet = { prefix: 'bench', password: 'bench-pass', count: accountsNeeded };
  process.stderr.write(`bench: creating ${accountsNeeded} accounts per server\n`);
  const servers = [await preparePerch(accounts)];
  if (!opts['perch-only'] && prosodyInstalled()) servers.push(await prepareProsody(accounts));
  else if (!opts['perch-only']) process.stderr.write(`bench: ${PROSODY_BIN} not found, measuring Perch only\n`);
  return servers;
}

async function runScenario(scenario: AnyScenario, servers: ServerUnderTest[]): Promise<ScenarioResults> {
  if (isLocal(scenario)) {
    const metrics = await scenario.run(progress('Perch', scenario.name));
    return { scenario: scenario.name, byServer: new Map([['Perch', metrics]]) };
  }
  if (isSelfStarting(scenario)) {
    const byColumn = new Map<string, Metric[]>();
    for (const column of scenario.columns) byColumn.set(column, await scenario.run(column, progress(column, scenario.name)));
    return { scenario: scenario.name, byServer: byColumn };
  }
  const byServer = new Map<string, Metric[]>();
  for (const server of servers) {
    const variants: Variant[] = scenario.variants?.(server) ?? [{ column: server.name }];
    for (const { column, options } of variants) {
      const running = await server.start(options);
      try {
        const { host, port, domain, pid, mucCounts } = running;
        const target = { host, port, domain, pid, mucCounts, accounts: server.accounts };
        byServer.set(column, await scenario.run(target, progress(column, scenario.name)));
      } finally {
        await running.stop();
      }
    }
  }
  return { scenario: scenario.name, byServer };
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.help) return void process.stdout.write(`${HELP}\n`);
  const scenarios = pickScenarios(opts.scenario, scenarioList(opts));
  setTimeout(() => {
    process.stderr.write(`bench: gave up after ${OVERALL_LIMIT_MS / 60_000} minutes\n`);
    process.exit(2);
  }, OVERALL_LIMIT_MS).unref();
  const loadAtStart = loadavg()[0]!;
  const remote = scenarios.filter((s): s is Scenario => !isLocal(s) && !isSelfStarting(s));
  const servers = remote.length === 0 ? [] : await prepareServers(opts, Math.max(...remote.map((s) => s.accountsNeeded)));
  const results: ScenarioResults[] = [];
  try {
    for (const scenario of scenarios) results.push(await runScenario(scenario, servers));
  } finally {
    for (const server of servers) await server.dispose();
  }
  const lines = [
    `Command: \`${commandLine(process.argv.slice(2))}\` (${new Date().toISOString().slice(0, 10)})`,
    '',
    ...machineLines(servers.length > 0 ? servers : [{ name: 'Perch', version: await perchVersion() }], PROSODY_BIN, loadAtStart),
    '',
    ...resultsTables(results, servers.length > 0 ? servers.map((s) => s.name) : ['Perch']),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    // The stack is noise for expected failures (refused login, no server); BENCH_DEBUG shows it.
    const detail = err instanceof Error ? (process.env.BENCH_DEBUG ? err.stack : err.message) : String(err);
    process.stderr.write(`bench: ${detail}\n`);
    process.exit(1);
  },
);
