/**
 * Archive retention: with `archive.retention_days` above 0, items older
 * than that are deleted shortly after start and then every hour. The timer
 * is unref'd so it never keeps the process alive, and stopped with the
 * host. Old items go first, so the archive never has holes.
 *
 * References: XEP-0313 §3.2 (a server may expire old messages; only the
 * oldest, and their ids are never reused).
 */
import type { Logger } from '../../core/log.js';
import type { ArchiveStore } from '../../core/storage/stores.js';

const DAY_MS = 86_400_000;
const FIRST_RUN_MS = 60_000;
const INTERVAL_MS = 3_600_000;

/** Deletes what is older than the retention period; returns how many items went. */
export function expireArchive(store: ArchiveStore, retentionDays: number, now = Date.now()): Promise<number> {
  return store.deleteOlderThan(now - retentionDays * DAY_MS);
}

/** Starts the periodic job; returns its stop function (a no-op when retention is off). */
export function scheduleRetention(store: ArchiveStore, retentionDays: number, log: Logger): () => void {
  if (retentionDays <= 0) return () => {};
  const run = () => {
    expireArchive(store, retentionDays).then(
      (removed) => removed > 0 && log.info({ removed, retentionDays }, 'expired archived messages'),
      (err: unknown) => log.error({ err }, 'archive retention failed'),
    );
  };
  const first = setTimeout(run, FIRST_RUN_MS).unref();
  const every = setInterval(run, INTERVAL_MS).unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
