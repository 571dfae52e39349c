// 3. Repository size: the worker's time per request (processRequest from dist, with the local runtime's
// real adapters: SQLite status store, intake and queue, LocalGitHost on a bare repository) when main
// already holds 10 and 10,000 databases in terraform/live. Requests are accepted first (not timed),
// then processed alternately on the two repositories (ABBA order) so both share the machine's noise.
import { newRequestId, silentLogger, systemClock } from '../dist/adapters/system.js';
import { acceptRequest } from '../dist/app/accept-request.js';
import { processRequest } from '../dist/app/process-request.js';
import { conventions, localAdapters, policy, repositoryWith, requestFor } from './fixtures.mjs';
import { fmt, mean, now, percentile, row } from './lib.mjs';

/** The object with the named async methods wrapped to add their time to `steps` (while measuring). */
export function timed(target, methods, steps, prefix) {
  const wrapped = Object.create(target);
  for (const method of methods) {
    wrapped[method] = async (...args) => {
      const start = now();
      try {
        return await target[method](...args);
      } finally {
        if (steps.on) {
          const key = `${prefix}${method}`;
          steps.set(key, (steps.get(key) ?? 0) + (now() - start));
        }
      }
    };
  }
  return wrapped;
}

async function worker(name, databases) {
  const { repo, setupMs } = await repositoryWith(name, databases);
  const { db, store, intake, git } = localAdapters(repo);
  const steps = new Map();
  const ctx = {
    policy,
    conventions,
    store: timed(store, ['get', 'transition'], steps, 'store.'),
    intake,
    git: timed(git, ['headOf', 'readFile', 'ensureBranch', 'ensureFile', 'ensurePullRequest'], steps, 'git.'),
    clock: systemClock,
    logger: silentLogger,
    newRequestId: () => newRequestId(),
  };
  // Inside the git host: object writes (hash, deflate, file) and compare-and-swap ref updates. The
  // repository handle is the host's own (a TypeScript-private field, reachable from JavaScript).
  const repository = await git.repo();
  const writeObject = repository.writeObject.bind(repository);
  repository.writeObject = (type, body) => {
    const start = now();
    try {
      return writeObject(type, body);
    } finally {
      if (steps.on) {
        const key = `  object write (${type})`;
        steps.set(key, (steps.get(key) ?? 0) + (now() - start));
      }
    }
  };
  const updateRef = repository.updateRef.bind(repository);
  repository.updateRef = async (update) => {
    const start = now();
    try {
      return await updateRef(update);
    } finally {
      if (steps.on) steps.set('  ref update', (steps.get('  ref update') ?? 0) + (now() - start));
    }
  };
  return {
    name,
    databases,
    setupMs,
    ctx,
    times: [],
    steps,
    measuring: false,
    async accept(dbName, i) {
      const outcome = await acceptRequest(ctx, requestFor(dbName, i), 'bench');
      if (outcome.kind !== 'accepted') throw new Error(`${name}: ${dbName} not accepted: ${outcome.kind}`);
      return outcome.record.id;
    },
    async process(id) {
      const start = now();
      const outcome = await processRequest(ctx, id, 1);
      const ms = now() - start;
      if (outcome.kind !== 'done' || outcome.status !== 'pr_open')
        throw new Error(`${name}: ${id} ended ${JSON.stringify(outcome)}`);
      return ms;
    },
    async close() {
      await git.dispose();
      db.close();
    },
  };
}

export async function benchRepoSize({ small = 10, large = 10_000, count = 400, warmup = 20 } = {}) {
  const a = await worker('repo-small', small);
  const b = await worker('repo-large', large);
  try {
    const total = warmup + count;
    const ids = { a: [], b: [] };
    for (let i = 0; i < total; i++) {
      ids.a.push(await a.accept(`new-${i}`, i));
      ids.b.push(await b.accept(`new-${i}`, i));
    }
    for (let i = 0; i < total; i++) {
      const order = i % 2 === 0 ? [a, b] : [b, a];
      for (const w of order) {
        const ms = await w.process(ids[w === a ? 'a' : 'b'][i]);
        if (i >= warmup) w.times.push(ms);
        w.steps.on = i + 1 >= warmup;
      }
    }
  } finally {
    await a.close();
    await b.close();
  }
  const stat = (w) => ({ p50: percentile(w.times, 50), p90: percentile(w.times, 90), mean: mean(w.times) });
  const sa = stat(a);
  const sb = stat(b);
  const label = `${large.toLocaleString('en-US')} vs ${small} databases`;
  const rows = [
    row(`worker time per request, mean, ${label} (ms)`, fmt(sb.mean, 2), fmt(sa.mean, 2), sb.mean / sa.mean, {
      ok: sb.mean / sa.mean <= 1.25,
      text: 'ratio <= 1.25',
    }),
    row(`worker time per request, p50, ${label} (ms)`, fmt(sb.p50, 2), fmt(sa.p50, 2), sb.p50 / sa.p50),
    row(`worker time per request, p90, ${label} (ms)`, fmt(sb.p90, 2), fmt(sa.p90, 2), sb.p90 / sa.p90),
  ];
  // Per step of processRequest, mean milliseconds per request, for the report's "where the time goes".
  const perStep = (w) =>
    Object.fromEntries([...w.steps].map(([key, ms]) => [key, Number((ms / w.times.length).toFixed(3))]));
  return {
    rows,
    small: { databases: small, setupMs: a.setupMs, ...sa, steps: perStep(a) },
    large: { databases: large, setupMs: b.setupMs, ...sb, steps: perStep(b) },
    count,
    warmup,
  };
}
