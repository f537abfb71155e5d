/**
 * Message archive storage, measured in this process on the built SQLite
 * driver (`dist/storage/sqlite/index.js`) in a temp directory, no server:
 *
 * - appends one per turn of the event loop, so each is its own commit (a
 *   quiet server archiving a lone message);
 * - building an archive of N messages (default 1,000,000; `--archive-size`)
 *   for one account with 100 contacts, 1,000 appends at a time, which the
 *   driver group-commits in one transaction: sustained appends/s;
 * - then, on that archive, "the last 50 with X" (what a client opening a
 *   conversation asks) and "the 50 after id X" (a device catching up), each
 *   the median and p95 of 200 queries with a random contact / position.
 *
 * References: XEP-0313 §4.1.1 (with), §4.3 (RSM before/after paging).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeTempDir, removeTempDir } from '../servers/common.js';
import { percentile, since, type LocalScenario, type Metric } from './scenario.js';

type SqliteDriverModule = typeof import('../../src/storage/sqlite/index.js');
type ArchiveStore = ReturnType<ReturnType<SqliteDriverModule['createSqliteDriver']>['archive']>;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER = join(ROOT, 'dist/storage/sqlite/index.js');
const USER = 'bench0';
const CONTACTS = 100;
const BATCH = 1000;
const SINGLE_APPENDS = 2000;
const QUERIES = 200;
const PAGE = 50;

const contact = (i: number) => `contact${i % CONTACTS}@localhost`;

/** A chat message as the archive stores it (about 330 bytes). */
function payload(i: number): string {
  return (
    `<message xmlns='jabber:client' from='${USER}@localhost/phone' to='${contact(i)}' type='chat' id='msg-${i}'>` +
    `<body>Message number ${i}: an ordinary line of chat, about as long as most people type.</body>` +
    `<origin-id xmlns='urn:xmpp:sid:0' id='origin-${i}'/></message>`
  );
}

async function appendOneByOne(archive: ArchiveStore): Promise<number> {
  const began = performance.now();
  for (let i = 0; i < SINGLE_APPENDS; i++) {
    await archive.append('single', { when: Date.now(), with: contact(i), payload: payload(i), type: 'chat' });
    // The driver commits on the next turn; wait for it so no two appends share a commit.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return (SINGLE_APPENDS / since(began)) * 1000;
}

/** Appends `size` items in batches of BATCH; returns item ids every 1,000th and the rate. */
async function build(archive: ArchiveStore, size: number, progress: (line: string) => void): Promise<{ ids: string[]; rate: number }> {
  const ids: string[] = [];
  const began = performance.now();
  const start = Date.now() - size;
  for (let done = 0; done < size; done += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, size - done) }, (_, k) =>
      archive.append(USER, { when: start + done + k, with: contact(done + k), payload: payload(done + k), type: 'chat' }),
    );
    ids.push((await Promise.all(batch))[0]!);
    if ((done + BATCH) % 200_000 === 0) progress(`${done + BATCH} messages archived`);
  }
  return { ids, rate: (size / since(began)) * 1000 };
}

async function timeQueries(run: (i: number) => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const began = performance.now();
    const items = await run(i);
    samples.push(since(began));
    if (items !== PAGE) throw new Error(`expected a page of ${PAGE}, got ${items}`);
  }
  return samples;
}

export function archiveScenario(size: number): LocalScenario {
  return {
    name: 'archive',
    local: true,
    async run(progress) {
      if (!existsSync(DRIVER)) throw new Error('dist/storage/sqlite/index.js is missing: run `npm run build` first');
      // Every contact needs a full page, and every sampled position a full page after it.
      if (!Number.isInteger(size) || size < CONTACTS * PAGE) throw new Error(`--archive-size must be an integer of at least ${CONTACTS * PAGE}`);
      const { createSqliteDriver } = (await import(pathToFileURL(DRIVER).href)) as SqliteDriverModule;
      const dir = await makeTempDir('archive');
      const driver = createSqliteDriver(join(dir, 'archive.sqlite'));
      try {
        const archive = driver.archive('localhost', 'archive');
        const single = await appendOneByOne(archive);
        const { ids, rate } = await build(archive, size, progress);
        progress(`${size} messages at ${rate.toFixed(0)}/s`);
        const random = (n: number) => Math.floor(Math.random() * n);
        const lastWith = await timeQueries(async () => (await archive.query(USER, { with: contact(random(CONTACTS)), limit: PAGE, reverse: true })).items.length);
        const after = await timeQueries(async () => (await archive.query(USER, { afterId: ids[random(ids.length - 1)], limit: PAGE })).items.length);
        const label = `${size.toLocaleString('en')} messages`;
        const metrics: Metric[] = [
          { label: 'appends/s, one commit each', value: single, unit: '/s', higherIsBetter: true },
          { label: `appends/s, ${BATCH} per commit (building ${label})`, value: rate, unit: '/s', higherIsBetter: true },
          { label: `"last 50 with X" on ${label}, p50`, value: percentile(lastWith, 50), unit: 'ms', higherIsBetter: false },
          { label: `"last 50 with X" on ${label}, p95`, value: percentile(lastWith, 95), unit: 'ms', higherIsBetter: false },
          { label: `"50 after id X" on ${label}, p50`, value: percentile(after, 50), unit: 'ms', higherIsBetter: false },
          { label: `"50 after id X" on ${label}, p95`, value: percentile(after, 95), unit: 'ms', higherIsBetter: false },
        ];
        return metrics;
      } finally {
        await driver.close();
        removeTempDir(dir);
      }
    },
  };
}
