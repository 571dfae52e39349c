// 2. End to end on the real server with its default workers: 1,000 requests from the first POST to the
// last pr_open, and one request at a time at idle; beside the same git work done with plain git
// commands (git-baseline.mjs), measured in the same run.
import { benchGitBaseline } from './git-baseline.mjs';
import { client, fmt, now, percentile, row, sleep, startServer } from './lib.mjs';

const body = (dbName) => ({ db_name: dbName, engine: 'mysql', environment: 'dev' });

/** POSTs every name, `concurrency` at a time; returns the request ids (every answer must be 202). */
async function postAll(call, names, concurrency) {
  const ids = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < names.length) {
        const name = names[next++];
        const r = await call('POST', '/provision', body(name));
        if (r.status !== 202) throw new Error(`POST ${name}: ${r.status} ${JSON.stringify(r.json)}`);
        ids.push(r.json.request_id);
      }
    }),
  );
  return ids;
}

/** Waits until nothing is queued or processing: two one-row reads per poll, so polling stays cheap. */
async function drained(call, intervalMs, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    polls++;
    const [queued, processing] = await Promise.all([
      call('GET', '/requests?status=queued&limit=1'),
      call('GET', '/requests?status=processing&limit=1'),
    ]);
    if (queued.json.requests.length === 0 && processing.json.requests.length === 0) return polls;
    if (Date.now() > deadline) throw new Error('requests still queued or processing at the deadline');
    await sleep(intervalMs);
  }
}

/** Every record with the status, paging 200 at a time. */
async function listAll(call, status) {
  const records = [];
  let cursor = null;
  do {
    const r = await call(
      'GET',
      `/requests?status=${status}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    records.push(...r.json.requests);
    cursor = r.json.next_cursor;
  } while (cursor);
  return records;
}

const prOpenAt = (record) => {
  const entry = record.history.find((h) => h.status === 'pr_open');
  return entry ? Date.parse(entry.at) : Number.NaN;
};

export async function benchEndToEnd({ count = 1000, samples = 30, postConcurrency = 16, profileDir } = {}) {
  const server = await startServer({
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const call = client(server);
  let batch;
  let idle;
  try {
    // Warm-up: JIT, the git host's processes and caches.
    await postAll(
      call,
      Array.from({ length: 40 }, (_, i) => `warm-${i}`),
      8,
    );
    await drained(call, 50, 60_000);

    // Batch: the clock starts before the first POST and stops at the last pr_open the server recorded.
    const names = Array.from({ length: count }, (_, i) => `batch-${i}`);
    const t0 = Date.now();
    const ids = await postAll(call, names, postConcurrency);
    const acceptedMs = Date.now() - t0;
    const polls = await drained(call, 100, 240_000);
    const wanted = new Set(ids);
    const open = (await listAll(call, 'pr_open')).filter((r) => wanted.has(r.request_id));
    const failed = (await listAll(call, 'failed')).filter((r) => wanted.has(r.request_id));
    if (open.length !== count)
      throw new Error(`${open.length} of ${count} reached pr_open (${failed.length} failed)`);
    const last = Math.max(...open.map(prOpenAt));
    const seconds = (last - t0) / 1000;
    batch = { count, seconds, rps: count / seconds, acceptedMs, polls, postConcurrency };

    // Idle: one request at a time, its status polled every 5 ms until pr_open.
    await sleep(300);
    const latencies = [];
    const serverSide = [];
    for (let i = 0; i < samples; i++) {
      const start = now();
      const posted = await call('POST', '/provision', body(`idle-${i}`));
      if (posted.status !== 202) throw new Error(`POST idle-${i}: ${posted.status}`);
      const id = posted.json.request_id;
      for (;;) {
        const r = await call('GET', `/requests/${id}`);
        if (r.json.status === 'pr_open') {
          latencies.push(now() - start);
          serverSide.push(prOpenAt(r.json) - Date.parse(r.json.created_at));
          break;
        }
        if (r.json.status === 'failed') throw new Error(`idle-${i} failed: ${r.json.failure_reason}`);
        await sleep(5);
      }
      await sleep(100);
    }
    idle = {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      serverP50: percentile(serverSide, 50),
      samples,
    };
  } finally {
    await server.stop();
  }

  const naive = await benchGitBaseline({ samples, count: 200, concurrency: 4 });
  const rows = [
    row(
      `${count.toLocaleString('en-US')} requests, first POST -> last pr_open (req/s)`,
      fmt(batch.rps, 1),
      fmt(naive.rps, 1),
      batch.rps / naive.rps,
      {
        ok: batch.rps >= 50,
        text: 'figure >= 50/s',
      },
    ),
    row(
      'one request at idle, POST -> pr_open p50 (ms)',
      fmt(idle.p50, 1),
      fmt(naive.p50, 1),
      idle.p50 / naive.p50,
      {
        ok: idle.p50 <= 100,
        text: 'figure <= 100 ms',
      },
    ),
    row('one request at idle, p90 (ms)', fmt(idle.p90, 1), fmt(naive.p90, 1), idle.p90 / naive.p90),
  ];
  return { rows, batch, idle, naive };
}
