import type { RequestRecord } from '../../domain/status.js';
import type { Intake, SubmitResult } from '../../ports.js';
import type { SqliteQueue } from './sqlite-queue.js';
import type { SqliteStatusStore } from './sqlite-status-store.js';

/**
 * Records a request as queued and enqueues its message in one IMMEDIATE transaction on the connection
 * the store and the queue share: both rows commit together or neither does. When the partial unique
 * index refuses the record (another request for the database is in flight), nothing is written and the
 * in-flight request is named.
 */
export class SqliteIntake implements Intake {
  private readonly submitTx;

  constructor(store: SqliteStatusStore, queue: SqliteQueue) {
    if (store.db !== queue.db)
      throw new Error('SqliteIntake needs the status store and the queue on the same database connection');
    this.submitTx = store.db.transaction((record: RequestRecord): SubmitResult => {
      const inserted = store.insertQueued(record);
      if (inserted.ok) queue.enqueue(record.id);
      return inserted;
    });
  }

  async submit(record: RequestRecord): Promise<SubmitResult> {
    return this.submitTx.immediate(record);
  }
}
