/**
 * Group commit for archive appends. An append runs its INSERT at once, in a
 * transaction that the first append of this turn of the event loop opens
 * and the next turn commits (setImmediate), so every append made while the
 * server handles one batch of input shares one commit. Each commit rewrites
 * every table and index page it touched: committing row by row cost more
 * than twenty times the CPU of routing the message being archived.
 *
 * The append resolves before the commit, so a message can be delivered with
 * its archive id without waiting a turn. The price is a window of one turn
 * in which a crash, or a failing commit (a full disk), loses appends that
 * were already acknowledged; `onError` reports such a failure. Reads on the
 * connection see uncommitted appends. Other writes made on the connection in
 * that turn join the transaction; nested `db.transaction()` calls become
 * savepoints.
 */

import type Database from 'better-sqlite3';

/** Work tied to the batch's transaction. */
export interface BatchHooks {
  /** Runs inside the transaction, just before it commits. */
  beforeCommit(): void;
  /** The transaction was rolled back: its writes are gone. */
  onAbort(): void;
  /** A commit failed (or a failing statement ended the transaction): acknowledged appends were lost. */
  onError(err: unknown): void;
}

export class GroupCommit {
  private scheduled = false;

  constructor(
    private readonly db: Database.Database,
    private readonly hooks: BatchHooks,
  ) {}

  /** Runs `write` now inside the batch transaction (opening it if needed). */
  write<T>(write: () => T): T {
    // Between turns no other code runs, so an open transaction here is the batch's.
    if (!this.db.inTransaction) this.db.exec('BEGIN');
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    try {
      return write();
    } catch (err) {
      // A constraint failure undoes its statement only; anything that ended the transaction lost the batch.
      if (!this.db.inTransaction) this.lost(err);
      throw err;
    }
  }

  /** Commits the batch now (before close, say). */
  flush(): void {
    this.scheduled = false;
    if (!this.db.open || !this.db.inTransaction) return;
    try {
      this.hooks.beforeCommit();
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.lost(err);
    }
  }

  private lost(err: unknown): void {
    this.hooks.onAbort();
    this.hooks.onError(err);
  }
}
