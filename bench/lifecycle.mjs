// 7. Day-2 lifecycle (issue 12), two figures, each against a baseline from the same run:
// - inventory: `GET /databases` on the real server (`serve --workers 0`) with 10,000 databases on the base
//   branch against one with 10; two servers, each on its own repository, the GETs alternating (ABBA) after
//   a cold first GET (information) and a count of every database through the pages (a check);
// - worker time: processRequest (dist/) for a change of a database on main against a creation, in process
//   on the local runtime's adapters, alternating, with the git host's calls timed by step.
import { dirname } from 'node:path';
import { silentLogger } from '../dist/adapters/system.js';
import { acceptRequest } from '../dist/app/accept-request.js';
import { processRequest } from '../dist/app/process-request.js';
import { requestChange } from '../dist/app/request-lifecycle.js';
import { requestBranch } from '../dist/domain/naming.js';
import { appContext } from '../dist/runtime/app-context.js';
import { conventions, localAdapters, policy, rendered, repositoryWith, requestFor } from './fixtures.mjs';
import { canPin, cpuMs, fmt, mean, median, now, percentile, row, startServer } from './lib.mjs';
import { timed } from './repo-size.mjs';

const INVENTORY_TARGET = 2;
const WORKER_TARGET = 1.5;
const SERVER_CPU = 1;
const PAGE = 50;
const QUERIES = { all: `/databases?limit=${PAGE}`, prod: `/databases?environment=prod&limit=${PAGE}` };

// ---------------------------------------------------------------------------------------------------
// Inventory: GET /databases on two real servers.

/** One GET with the server's token: its time (ms, to the last byte) and the parsed body; throws unless 200. */
async function get(server, path) {
  const start = now();
  const response = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  const text = await response.text();
  const ms = now() - start;
  if (response.status !== 200) throw new Error(`GET ${path} on ${server.name}: ${response.status} ${text}`);
  return { ms, body: JSON.parse(text) };
}

/** The real server on a repository whose main holds `count` generated databases. */
async function inventoryServer(name, count) {
  const { repo, setupMs } = await repositoryWith(name, count);
  const server = await startServer({
    dataDir: dirname(repo),
    args: ['--workers', '0'],
    ...(canPin ? { cpu: SERVER_CPU } : {}),
  });
  return Object.assign(server, {
    name,
    count,
    repo,
    setupMs,
    samples: { all: [], prod: [] },
    cpu: 0,
    gets: 0,
  });
}

/**
 * The base branch moves by one commit that adds a database, as a merge does: committed through the
 * local git host from this process (its own SQLite file); the server sees it on its next GET.
 */
async function addOneOnBase(server) {
  const { db, git } = localAdapters(server.repo, 'bench-mover.db');
  try {
    const file = rendered(requestFor('moved-0', 0));
    await git.ensureFile({ branch: conventions.base, ...file, message: 'Bench: one more database' });
  } finally {
    await git.dispose();
    db.close();
  }
}

/**
 * Every database the server lists, page by page: the count must be what the repository holds, each read
 * back as the service's own file (`managed: generated`) with nothing in flight.
 */
async function countAll(server) {
  const seen = { total: 0, generated: 0, prod: 0, pages: 0 };
  let cursor = null;
  do {
    const { body } = await get(
      server,
      `/databases?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    seen.pages++;
    for (const d of body.databases) {
      seen.total++;
      if (d.managed === 'generated' && d.request_id && d.in_flight === null) seen.generated++;
      if (d.environment === 'prod') seen.prod++;
    }
    cursor = body.next_cursor;
  } while (cursor);
  if (seen.total !== server.count || seen.generated !== server.count)
    throw new Error(`${server.name}: listed ${JSON.stringify(seen)}, expected ${server.count} generated`);
  return seen;
}

/** The page each query must answer: the first `PAGE` of the repository's databases in that filter. */
function expectedLength(server, query, prodCount) {
  return Math.min(PAGE, query === 'prod' ? prodCount : server.count);
}

async function benchInventory({ small, large, gets }) {
  const a = await inventoryServer('inventory-small', small);
  const b = await inventoryServer('inventory-large', large);
  const servers = [a, b];
  try {
    // Cold: the first GET reads every file on the base branch (information, not a target).
    for (const s of servers) s.coldMs = (await get(s, QUERIES.all)).ms;
    for (const s of servers) s.listed = await countAll(s);
    // Warm-up: one GET of each measured query.
    for (const s of servers) for (const q of Object.keys(QUERIES)) await get(s, QUERIES[q]);

    for (const s of servers) s.cpuStart = cpuMs(s.pid);
    for (let i = 0; i < gets; i++) {
      for (const s of i % 2 === 0 ? [a, b] : [b, a]) {
        for (const q of Object.keys(QUERIES)) {
          const { ms, body } = await get(s, QUERIES[q]);
          const want = expectedLength(s, q, s.listed.prod);
          if (body.databases.length !== want)
            throw new Error(`${s.name} ${QUERIES[q]}: ${body.databases.length} databases, expected ${want}`);
          s.samples[q].push(ms);
          s.gets++;
        }
      }
    }
    for (const s of servers) s.cpu = cpuMs(s.pid) - s.cpuStart;
    // After a merge: the list is rebuilt from the new head, each file already read is not read again.
    for (const s of servers) {
      await addOneOnBase(s);
      const { ms, body } = await get(s, QUERIES.all);
      if (body.databases.length !== Math.min(PAGE, s.count + 1))
        throw new Error(`${s.name} after a merge: ${body.databases.length} databases`);
      s.movedMs = ms;
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  const label = `${large.toLocaleString('en-US')} vs ${small} databases`;
  const target = (ratio) => ({ ok: ratio <= INVENTORY_TARGET, text: `ratio <= ${INVENTORY_TARGET}` });
  const p50 = (s, q) => median(s.samples[q]);
  const figure = (q, title) =>
    row(
      `${title}, ${label} (ms, p50)`,
      fmt(p50(b, q), 2),
      fmt(p50(a, q), 2),
      p50(b, q) / p50(a, q),
      target(p50(b, q) / p50(a, q)),
    );
  const cpuPerGet = (s) => s.cpu / s.gets;
  const rows = [
    figure('all', `GET ${QUERIES.all}`),
    figure('prod', `GET ${QUERIES.prod}`),
    row(
      `server CPU per GET, ${label} (ms)`,
      fmt(cpuPerGet(b), 3),
      fmt(cpuPerGet(a), 3),
      cpuPerGet(b) / cpuPerGet(a),
    ),
    row(
      `first GET after start (cold), ${label} (ms)`,
      fmt(b.coldMs, 0),
      fmt(a.coldMs, 0),
      b.coldMs / a.coldMs,
    ),
    row(
      `first GET after main gains a commit, ${label} (ms)`,
      fmt(b.movedMs, 1),
      fmt(a.movedMs, 1),
      b.movedMs / a.movedMs,
    ),
  ];
  const summary = (s) => ({
    databases: s.count,
    setupMs: Number(s.setupMs.toFixed(0)),
    listed: s.listed,
    coldMs: Number(s.coldMs.toFixed(2)),
    afterCommitMs: Number(s.movedMs.toFixed(2)),
    cpuPerGetMs: Number(cpuPerGet(s).toFixed(3)),
    ...Object.fromEntries(
      Object.keys(QUERIES).map((q) => [
        q,
        {
          p50: Number(p50(s, q).toFixed(3)),
          p90: Number(percentile(s.samples[q], 90).toFixed(3)),
          p99: Number(percentile(s.samples[q], 99).toFixed(3)),
        },
      ]),
    ),
  });
  return { rows, gets, pinned: canPin, small: summary(a), large: summary(b) };
}

// ---------------------------------------------------------------------------------------------------
// Worker time: a change against a creation, in process.

const GIT_STEPS = [
  'headOf',
  'readFile',
  'ensureBranch',
  'openPullRequests',
  'ensureFile',
  'ensurePullRequest',
];
const STORE_STEPS = ['get', 'transition'];

/** A size the database's environment allows other than the one it has. */
function otherSize(request) {
  const allowed = policy.policy.environments[request.environment].sizes.allowed;
  const size = allowed.find((s) => s !== request.size);
  if (!size) throw new Error(`no other size for ${request.environment}`);
  return size;
}

async function benchWorker({ databases, requests, warmup }) {
  if (databases < warmup + requests) throw new Error('the worker repository needs a database per change');
  const { repo, setupMs } = await repositoryWith('lifecycle-worker', databases);
  const { db, store, intake, git } = localAdapters(repo);
  // One context per kind over the same adapters, so each kind's steps add up apart.
  const kinds = Object.fromEntries(
    ['create', 'change'].map((kind) => {
      const steps = new Map();
      const ctx = appContext({
        policy,
        store: timed(store, STORE_STEPS, steps, 'store.'),
        intake,
        git: timed(git, GIT_STEPS, steps, 'git.'),
        logger: silentLogger,
      });
      return [kind, { steps, ctx, accept: [], process: [] }];
    }),
  );

  /** Accepted (timed apart), then processed into a branch, commit and pull request (the figure). */
  const once = async (kind, i, measured) => {
    const k = kinds[kind];
    let accepted;
    const acceptStart = now();
    if (kind === 'create') {
      accepted = await acceptRequest(k.ctx, requestFor(`new-${i}`, i), 'bench');
    } else {
      const dbName = `existing-${i}`;
      accepted = await requestChange(k.ctx, dbName, { size: otherSize(requestFor(dbName, i)) }, 'bench');
    }
    const acceptMs = now() - acceptStart;
    if (accepted.kind !== 'accepted')
      throw new Error(`${kind} ${i} not accepted: ${JSON.stringify(accepted)}`);
    const id = accepted.record.id;
    k.steps.on = measured;
    const start = now();
    const outcome = await processRequest(k.ctx, id, 1);
    const ms = now() - start;
    k.steps.on = false;
    if (outcome.kind !== 'done' || outcome.status !== 'pr_open')
      throw new Error(`${kind} ${i} ended ${JSON.stringify(outcome)}`);
    const record = await store.get(id);
    const branch = requestBranch({ id, kind, dbName: record.request.db_name }, conventions);
    if (record.kind !== kind || record.pullRequest?.branch !== branch)
      throw new Error(
        `${kind} ${i}: record ${JSON.stringify({ kind: record.kind, pr: record.pullRequest })}`,
      );
    if (!measured) return;
    k.accept.push(acceptMs);
    k.process.push(ms);
  };

  try {
    for (let i = 0; i < warmup + requests; i++) {
      for (const kind of i % 2 === 0 ? ['create', 'change'] : ['change', 'create'])
        await once(kind, i, i >= warmup);
    }
  } finally {
    await git.dispose();
    db.close();
  }
  const { create, change } = kinds;
  const ratio = median(change.process) / median(create.process);
  const rows = [
    row(
      'worker time per request, change vs creation (ms, median)',
      fmt(median(change.process), 2),
      fmt(median(create.process), 2),
      ratio,
      { ok: ratio <= WORKER_TARGET, text: `ratio <= ${WORKER_TARGET}` },
    ),
    row(
      'accept, requestChange vs acceptRequest (ms, median)',
      fmt(median(change.accept), 2),
      fmt(median(create.accept), 2),
      median(change.accept) / median(create.accept),
    ),
  ];
  const perRequest = (k) =>
    Object.fromEntries([...k.steps].map(([key, ms]) => [key, Number((ms / requests).toFixed(3))]));
  const summary = (k) => ({
    median: Number(median(k.process).toFixed(3)),
    mean: Number(mean(k.process).toFixed(3)),
    p90: Number(percentile(k.process, 90).toFixed(3)),
    acceptMedian: Number(median(k.accept).toFixed(3)),
    steps: perRequest(k),
  });
  return {
    rows,
    databases,
    setupMs: Number(setupMs.toFixed(0)),
    requests,
    warmup,
    create: summary(create),
    change: summary(change),
  };
}

/**
 * @param small,large databases on the two inventory servers' base branches
 * @param gets rounds of GETs per server (each round: both queries)
 * @param databases on the worker's repository (one per change at least)
 * @param requests measured creations and changes each, after `warmup` of each
 */
export async function benchLifecycle({
  small = 10,
  large = 10_000,
  gets = 300,
  databases = 1000,
  requests = 60,
  warmup = 5,
} = {}) {
  const inventory = await benchInventory({ small, large, gets });
  const worker = await benchWorker({ databases, requests, warmup });
  return { rows: [...inventory.rows, ...worker.rows], inventory, worker };
}
