/**
 * Formats benchmark results as Markdown: the command, the machine, and one
 * table row per metric with a column per server (or server variant) and the
 * ratio of the first column to each other one.
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

/** One row per metric; with several columns, the first divided by each other one. */
export function resultsTable(results: ScenarioResults[], columns: string[]): string[] {
  const others = columns.slice(1);
  const header = ['Scenario', 'Metric', ...columns, ...others.map((c) => `${columns[0]} / ${c}`), 'Better'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const { scenario, byServer } of results) {
    const labels = [...new Set([...byServer.values()].flat().map((m) => m.label))];
    for (const label of labels) {
      const metrics = columns.map((c) => byServer.get(c)?.find((m) => m.label === label));
      const known = metrics.find((m) => m !== undefined)!;
      const cells = metrics.map((m) => (m ? `${format(m.value)}${m.unit ? ` ${m.unit}` : ''}` : 'n/a'));
      const ratios = metrics.slice(1).map((m) => (metrics[0] && m && Number.isFinite(metrics[0].value / m.value) ? `${(metrics[0].value / m.value).toFixed(2)}x` : 'n/a'));
      lines.push(`| ${[scenario, label, ...cells, ...ratios, known.higherIsBetter ? 'higher' : 'lower'].join(' | ')} |`);
    }
  }
  return lines;
}

/**
 * The results as tables: scenarios measured on the compared servers share
 * one; a scenario with columns of its own (server variants) gets its own.
 */
export function resultsTables(results: ScenarioResults[], serverColumns: string[]): string[] {
  const groups: { columns: string[]; results: ScenarioResults[] }[] = [];
  for (const result of results) {
    const keys = [...result.byServer.keys()];
    const columns = keys.every((k) => serverColumns.includes(k)) ? serverColumns : keys;
    const group = groups.find((g) => g.columns.join('\0') === columns.join('\0'));
    if (group) group.results.push(result);
    else groups.push({ columns, results: [result] });
  }
  return groups.flatMap((group, i) => [...(i > 0 ? [''] : []), ...resultsTable(group.results, group.columns)]);
}
