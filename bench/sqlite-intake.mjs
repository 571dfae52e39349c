// Where the accept path's SQLite time goes, and what two changes would save: the intake's transaction
// (request row, history row, queue row) as the service runs it, then with WAL auto-checkpoints off the
// request path (`wal_autocheckpoint = 0`; a real fix would checkpoint on a timer elsewhere), then with
// ten requests per transaction (group commit), then both. A diagnostic for BENCHMARKS.md, run by
// `npm run bench -- --profile` or `node bench/sqlite-intake.mjs` after `npm run build`.
import { join } from 'node:path';
import { openDatabase } from '../dist/adapters/local/sqlite.js';
import { SqliteQueue } from '../dist/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../dist/adapters/local/sqlite-status-store.js';
import { newRequestId, systemClock } from '../dist/adapters/system.js';
import { queuedRecord } from '../dist/domain/status.js';
import { fmt, now, percentile, removeTempDirs, tempDir } from './lib.mjs';

const record = (i) =>
  queuedRecord(
    newRequestId(),
    { db_name: `db-${i}`, engine: 'mysql', environment: 'dev' },
    'bench',
    new Date(),
  );

export async function sqliteIntake({ n = 10_000 } = {}) {
  const out = [];
  for (const [batch, checkpoints] of [
    [1, true],
    [1, false],
    [10, true],
    [10, false],
  ]) {
    const db = openDatabase(join(tempDir('sqlite'), 'rds-provisioner.db'));
    if (!checkpoints) db.pragma('wal_autocheckpoint = 0');
    const store = new SqliteStatusStore(db);
    const queue = new SqliteQueue(db, systemClock);
    // What SqliteIntake.submit does, for `batch` records at once.
    const submit = db.transaction((records) => {
      for (const r of records) if (store.insertQueued(r).ok) queue.enqueue(r.id);
    });
    let i = 0;
    const next = () => Array.from({ length: batch }, () => record(i++));
    while (i < 500) submit.immediate(next());
    const shares = [];
    const start = now();
    while (i < 500 + n) {
      const t = now();
      submit.immediate(next());
      shares.push((now() - t) / batch);
    }
    const meanUs = ((now() - start) * 1000) / n;
    db.close();
    out.push({
      batch,
      checkpoints,
      meanUs,
      p50Us: percentile(shares, 50) * 1000,
      p99Us: percentile(shares, 99) * 1000,
      text: `${fmt(meanUs, 0).padStart(5)} µs mean, p50 ${fmt(percentile(shares, 50) * 1000, 0)} µs, p99 ${fmt(percentile(shares, 99) * 1000, 0)} µs per request: ${batch} per transaction, auto-checkpoint ${checkpoints ? 'on' : 'off'}${batch === 1 && checkpoints ? ' (as served)' : ''}`,
    });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await sqliteIntake()) console.log(r.text);
  removeTempDirs();
}
