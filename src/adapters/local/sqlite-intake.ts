import type { Position, RequestRecord } from '../../domain/status.js';
import type { Intake, StatusChange, SubmitResult } from '../../ports.js';
import type { SqliteQueue } from './sqlite-queue.js';
import type { SqliteStatusStore } from './sqlite-status-store.js';

interface Pending {
  record: RequestRecord;
  resolve: (result: SubmitResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Records a request as queued and enqueues its message on the connection the store and the queue
 * share: both rows commit together or neither does. When the partial unique index refuses the record
 * (another request for the database is in flight), nothing is written for it and the in-flight request
 * is named.
 *
 * Group commit: the submits that arrive in the same turn of the event loop share one IMMEDIATE
 * transaction, so a burst writes each touched page to the WAL once instead of once per request. Each
 * record is still all-or-nothing (a refused INSERT rolls back only its own statement, and its message
 * is not enqueued), and no caller hears `ok` before the transaction holding its rows has committed.
 *
 * `advance` moves a request to its next step and enqueues its message in one IMMEDIATE transaction too.
 */
export class SqliteIntake implements Intake {
  private readonly submitBatch;
  private readonly advanceTx;
  private pending: Pending[] = [];

  constructor(store: SqliteStatusStore, queue: SqliteQueue) {
    if (store.db !== queue.db)
      throw new Error('SqliteIntake needs the status store and the queue on the same database connection');
    this.submitBatch = store.db.transaction((records: RequestRecord[]): SubmitResult[] =>
      records.map((record) => {
        const inserted = store.insertQueued(record);
        if (inserted.ok) queue.enqueue(record.id);
        return inserted;
      }),
    );
    // Queued again one step on, only from the position the caller saw; a refused move (a replay) sends nothing.
    this.advanceTx = store.db.transaction((id: string, from: Position, change: StatusChange) => {
      const moved = store.moveSync(id, 'queued', { ...change, step: from.step + 1 }, from);
      if (moved?.changed) queue.enqueue(id);
      return moved;
    });
  }

  async advance(
    id: string,
    from: Position,
    change: StatusChange,
  ): Promise<{ record: RequestRecord; changed: boolean } | undefined> {
    return this.advanceTx.immediate(id, from, change);
  }

  submit(record: RequestRecord): Promise<SubmitResult> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ record, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    let results: SubmitResult[];
    try {
      results = this.submitBatch.immediate(batch.map((p) => p.record));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    for (const [i, p] of batch.entries()) p.resolve(results[i] as SubmitResult);
  }
}
