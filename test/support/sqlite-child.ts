/**
 * A separate process on the service database, for the SQLite adapter tests. Run with the TypeScript hooks:
 * `node --import ./test/support/ts-register.mjs test/support/sqlite-child.ts <mode> <file>`.
 *
 * - `submit`: submits requests without end, printing each id once `submit` has resolved (committed); the
 *   test kills it with SIGKILL mid-stream.
 * - `consume`: receives (long lease) and acknowledges one batch, prints `ready`, waits for a line on stdin,
 *   then receives and acknowledges until the queue is empty; each delivery is printed as a JSON line.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { openDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteIntake } from '../../src/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../../src/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../../src/adapters/local/sqlite-status-store.js';
import { queuedRecord } from '../../src/domain/status.js';

const [mode, file] = process.argv.slice(2);
if (!file) throw new Error('usage: sqlite-child.ts submit|consume <file>');
const db = openDatabase(file);
const store = new SqliteStatusStore(db);
const queue = new SqliteQueue(db);

if (mode === 'submit') {
  const intake = new SqliteIntake(store, queue);
  for (let n = 0; ; n++) {
    const id = randomUUID();
    const record = queuedRecord(
      id,
      { db_name: `child-db-${process.pid}-${n}`, engine: 'postgres', environment: 'dev' },
      'child',
      new Date(),
    );
    const result = await intake.submit(record);
    if (!result.ok) throw new Error(`unexpected conflict with ${result.inFlight}`);
    process.stdout.write(`${id}\n`);
  }
} else if (mode === 'consume') {
  const take = async () => {
    const deliveries = await queue.receive(3, 600_000);
    for (const d of deliveries) {
      process.stdout.write(`${JSON.stringify({ requestId: d.requestId, attempt: d.attempt })}\n`);
      await queue.ack(d.receipt);
    }
    return deliveries.length;
  };
  // One batch first, so that each consumer provably takes part, then the race to drain the queue.
  await take();
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  while ((await take()) > 0);
  db.close();
  process.exit(0);
} else {
  throw new Error(`unknown mode ${mode}`);
}
