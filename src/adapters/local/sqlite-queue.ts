import { randomUUID } from 'node:crypto';
import type { Clock, Delivery, Queue } from '../../ports.js';
import type { SqliteDatabase } from './sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id  TEXT NOT NULL,
  visible_at  INTEGER NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  receipt     TEXT,
  last_error  TEXT,
  enqueued_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS queue_visible ON queue (visible_at, id);
CREATE UNIQUE INDEX IF NOT EXISTS queue_receipt ON queue (receipt) WHERE receipt IS NOT NULL;
CREATE TABLE IF NOT EXISTS dead_letters (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id  INTEGER NOT NULL,
  request_id  TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  last_error  TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL,
  dead_at     INTEGER NOT NULL
) STRICT;
`;

interface MessageRow {
  id: number;
  request_id: string;
  attempts: number;
  last_error: string | null;
  enqueued_at: number;
}

/** A message taken out of the queue for good. Times are ISO 8601 UTC. */
export interface DeadLetter {
  requestId: string;
  attempts: number;
  lastError: string;
  enqueuedAt: string;
  deadAt: string;
}

const systemClock: Clock = { now: () => new Date() };

/**
 * The local runtime's queue: a SQLite table with SQS semantics. `receive` leases messages (invisible to
 * other consumers for `visibilityMs`) under a fresh receipt; a consumer that crashes simply lets its
 * leases expire and the messages come back with one more attempt. `ack`, `retry` and `deadLetter` act
 * only while the receipt is the message's current one: a stale receipt (its lease expired and another
 * consumer received the message) is a no-op. Safe across connections and processes on the same file:
 * every read-then-write runs in an IMMEDIATE transaction.
 */
export class SqliteQueue implements Queue {
  private readonly stmt;
  private readonly receiveTx;
  private readonly deadLetterTx;

  constructor(
    readonly db: SqliteDatabase,
    private readonly clock: Clock = systemClock,
  ) {
    db.exec(SCHEMA);
    this.stmt = {
      enqueue: db.prepare(
        'INSERT INTO queue (request_id, visible_at, attempts, enqueued_at) VALUES (?, ?, 0, ?)',
      ),
      anyVisible: db.prepare<[number], { id: number }>('SELECT id FROM queue WHERE visible_at <= ? LIMIT 1'),
      visible: db.prepare<[number, number], { id: number; request_id: string; attempts: number }>(
        'SELECT id, request_id, attempts FROM queue WHERE visible_at <= ? ORDER BY visible_at, id LIMIT ?',
      ),
      lease: db.prepare(
        'UPDATE queue SET attempts = attempts + 1, receipt = @receipt, visible_at = @until WHERE id = @id',
      ),
      ack: db.prepare('DELETE FROM queue WHERE receipt = ?'),
      retry: db.prepare(
        'UPDATE queue SET visible_at = @at, last_error = @error, receipt = NULL WHERE receipt = @receipt',
      ),
      take: db.prepare<[string], MessageRow>(
        'DELETE FROM queue WHERE receipt = ? RETURNING id, request_id, attempts, last_error, enqueued_at',
      ),
      bury: db.prepare(
        `INSERT INTO dead_letters (message_id, request_id, attempts, last_error, enqueued_at, dead_at)
         VALUES (@id, @request_id, @attempts, @last_error, @enqueued_at, @dead_at)`,
      ),
      depth: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM queue'),
      deadLetters: db.prepare<
        [],
        { request_id: string; attempts: number; last_error: string; enqueued_at: number; dead_at: number }
      >('SELECT request_id, attempts, last_error, enqueued_at, dead_at FROM dead_letters ORDER BY id'),
    };
    this.receiveTx = db.transaction((max: number, now: number, until: number): Delivery[] => {
      const deliveries: Delivery[] = [];
      for (const row of this.stmt.visible.all(now, max)) {
        const receipt = randomUUID();
        this.stmt.lease.run({ id: row.id, receipt, until });
        deliveries.push({ requestId: row.request_id, attempt: row.attempts + 1, receipt });
      }
      return deliveries;
    });
    this.deadLetterTx = db.transaction((receipt: string, error: string, now: number) => {
      const row = this.stmt.take.get(receipt);
      if (row) this.stmt.bury.run({ ...row, last_error: error, dead_at: now });
    });
  }

  /**
   * Adds a message for the request, visible after `delayMs`. Synchronous: called inside a transaction
   * on this queue's connection (as {@link SqliteIntake} does), it commits or rolls back with it.
   */
  enqueue(requestId: string, delayMs = 0): void {
    const now = this.clock.now().getTime();
    this.stmt.enqueue.run(requestId, now + delayMs, now);
  }

  /**
   * Leases up to `max` visible messages, oldest-visible first (FIFO by enqueue order, a retried message
   * joining the line when its delay ends). Each gets attempts + 1 and a fresh receipt, and stays
   * invisible for `visibilityMs`. An empty queue costs one read and takes no write lock.
   */
  async receive(max: number, visibilityMs: number): Promise<Delivery[]> {
    if (max < 1) return [];
    const now = this.clock.now().getTime();
    if (!this.stmt.anyVisible.get(now)) return [];
    return this.receiveTx.immediate(Math.floor(max), now, now + visibilityMs);
  }

  async ack(receipt: string): Promise<void> {
    this.stmt.ack.run(receipt);
  }

  /** Releases the message: visible again after `delayMs`, `error` kept as its last error. */
  async retry(receipt: string, delayMs: number, error: string): Promise<void> {
    this.stmt.retry.run({ receipt, at: this.clock.now().getTime() + Math.max(0, delayMs), error });
  }

  /** Moves the message into `dead_letters` with `error` as its last error, in one transaction. */
  async deadLetter(receipt: string, error: string): Promise<void> {
    this.deadLetterTx.immediate(receipt, error, this.clock.now().getTime());
  }

  /** Messages in the queue, leased or not (dead letters excluded). */
  async depth(): Promise<number> {
    return this.stmt.depth.get()?.n ?? 0;
  }

  /** Every dead letter, oldest first. */
  async deadLetters(): Promise<DeadLetter[]> {
    return this.stmt.deadLetters.all().map((row) => ({
      requestId: row.request_id,
      attempts: row.attempts,
      lastError: row.last_error,
      enqueuedAt: new Date(row.enqueued_at).toISOString(),
      deadAt: new Date(row.dead_at).toISOString(),
    }));
  }
}
