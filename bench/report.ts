/**
 * Formats benchmark results as Markdown: the command, the machine, and one
 * table row per metric with a column per server and, for two servers, the
 * ratio of the first to the second.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import type { Metric } from './scenarios/scenario.js';

export interface ScenarioResults {
  scenario: string;
  /** Metrics per server column, in column order. */
  byServer: Map<string, Metric[]>;
}

/** The command line as the user would retype it. */
export function commandLine(args: readonly string[]): string {
  const quoted = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  if (process.env.npm_lifecycle_event === 'bench') return ['npm run bench', ...(quoted.length ? ['--', ...quoted] : [])].join(' ');
  return ['node --import tsx bench/run.ts', ...quoted].join(' ');
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function luaOf(bin: string): string {
  try {
    return /lua[\d.]*/.exec(readFileSync(bin, 'utf8').split('\n', 1)[0]!)?.[0] ?? 'lua';
  } catch {
    return 'lua';
  }
}

export function machineLines(servers: { name: string; version: string }[], prosodyBin: string, loadAtStart: number): string[] {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const versions = servers.map((s) =>
    s.name === 'Perch' ? `Perch ${s.version} (commit ${gitCommit()})` : s.name === 'Prosody' ? `Prosody ${s.version} (${luaOf(prosodyBin)})` : `${s.name}`,
  );
  return [
    `- Machine: nproc ${availableParallelism()} (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}`,
    `- Node ${process.version}; ${versions.join('; ')}`,
    `- The load generator runs on the same cores as the server under test, over loopback; load average at start ${loadAtStart.toFixed(2)}.`,
  ];
}

function format(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return 'n/a';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function resultsTable(results: ScenarioResults[], columns: string[]): string[] {
  const ratio = columns.length === 2;
  const header = ['Scenario', 'Metric', ...columns, ...(ratio ? [`${columns[0]} / ${columns[1]}`] : []), 'Better'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const { scenario, byServer } of results) {
    const labels = [...new Set([...byServer.values()].flat().map((m) => m.label))];
    for (const label of labels) {
      const metrics = columns.map((c) => byServer.get(c)?.find((m) => m.label === label));
      const known = metrics.find((m) => m !== undefined)!;
      const cells = metrics.map((m) => (m ? `${format(m.value)} ${m.unit}` : 'n/a'));
      const extra = ratio && metrics[0] && metrics[1] ? [`${(metrics[0].value / metrics[1].value).toFixed(2)}x`] : ratio ? ['n/a'] : [];
      lines.push(`| ${[scenario, label, ...cells, ...extra, known.higherIsBetter ? 'higher' : 'lower'].join(' | ')} |`);
    }
  }
  return lines;
}
