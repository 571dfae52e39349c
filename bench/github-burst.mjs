// 4. GitHub burst: the worker's real path against the GitHub simulator with GitHub's secondary limits
// scaled in time. A burst of requests is accepted (not timed), then the WorkerLoop (4 at a time, as
// `serve` runs it) processes them through GitHubHost and the paced Octokit client (dist/), on the local
// runtime's SQLite store, intake and queue. The simulator (test/support/github-simulator.ts) is loaded
// through the project's TypeScript hooks and runs in this process.
//
// Figures: first mutation -> last pr_open beside the floor the limits allow (1 s between mutations,
// 80 content-creating requests per minute and 500 per hour, all divided by the time scale), limit
// violations, mutations and reads per request, and one pull request per branch.
import { join } from 'node:path';
import { GitHubHost } from '../dist/adapters/github/github-host.js';
import { createGitHubClient } from '../dist/adapters/github/octokit.js';
import { DEFAULT_PACING } from '../dist/adapters/github/pacing.js';
import { checkpointPeriodically, openDatabase } from '../dist/adapters/local/sqlite.js';
import { SqliteIntake } from '../dist/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../dist/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../dist/adapters/local/sqlite-status-store.js';
import { newRequestId, systemClock } from '../dist/adapters/system.js';
import { acceptRequest } from '../dist/app/accept-request.js';
import { DEFAULT_RETRY } from '../dist/app/settle-delivery.js';
import { locate } from '../dist/domain/layout.js';
import { branchName } from '../dist/domain/naming.js';
import { WorkerLoop } from '../dist/runtime/worker-loop.js';
import { policy as packaged, requestFor } from './fixtures.mjs';
import { fmt, mean, now, row, tempDir } from './lib.mjs';

/** The simulator is TypeScript: register the project's hooks, then import it. */
async function loadSimulator() {
  await import('../test/support/ts-register.mjs');
  return import('../test/support/github-simulator.ts');
}

/**
 * Real milliseconds from the first mutation's start to the last one's that GitHub's limits allow for
 * `count` mutations: the earliest schedule, each start at least `gap` after the previous one and no more
 * than `perMinute` (`perHour`) starts in any minute (hour). A start exactly a window after an earlier
 * one is outside that window, as the simulator counts.
 */
export function floorMs(count, { timeScale, gapMs, perMinute, perHour }) {
  const gap = gapMs / timeScale;
  const minute = 60_000 / timeScale;
  const hour = 3_600_000 / timeScale;
  const t = new Float64Array(count);
  for (let k = 1; k < count; k++) {
    t[k] = Math.max(
      t[k - 1] + gap,
      k >= perMinute ? t[k - perMinute] + minute : 0,
      k >= perHour ? t[k - perHour] + hour : 0,
    );
  }
  return t[count - 1];
}

/**
 * Where the time past the floor went, from the client's own clock per mutation: `entered` and `left` the
 * Octokit call (an outer hook: the write lane is taken after `entered` and given back just before
 * `left`), `paced` and `released` around the pacer's wait, `sent` and `answered` around the HTTP attempt
 * (`answered`: response headers, when the pacer starts the next gap). Each mutation's earliest start
 * given the actual earlier ones is set by one constraint (spacing, minute, hour); following those from
 * the last mutation back to the first adds up to the whole span, so the span minus the widths on that
 * chain is the slack, split by what bound each step. A spacing step from mutation j to k splits into:
 * j's round trip, j's answer to its call's end (body, plugins unwinding, lane released), the lane idle,
 * k's plugins before the pacer, and k's wait in the pacer.
 */
function slackProfile(m, { timeScale, gapMs, perMinute, perHour }) {
  const gap = gapMs / timeScale;
  const minute = 60_000 / timeScale;
  const hour = 3_600_000 / timeScale;
  const s = m.map((x) => x.sent);
  const parts = ['roundTrip', 'unwind', 'idle', 'plugins', 'pacer'];
  const spacing = { steps: 0, slackMs: 0, ...Object.fromEntries(parts.map((p) => [p, 0])) };
  const windows = { minute: { steps: 0, slackMs: 0 }, hour: { steps: 0, slackMs: 0 } };
  let k = s.length - 1;
  while (k > 0) {
    const options = [['spacing', k - 1, gap]];
    if (k >= perMinute) options.push(['minute', k - perMinute, minute]);
    if (k >= perHour) options.push(['hour', k - perHour, hour]);
    let [kind, from, width] = options[0];
    for (const [kk, ff, ww] of options) {
      if (s[ff] + ww > s[from] + width) [kind, from, width] = [kk, ff, ww];
    }
    const slack = s[k] - (s[from] + width);
    if (kind === 'spacing') {
      const j = m[from];
      const x = m[k];
      const lane = Math.max(j.left, x.entered);
      spacing.steps++;
      spacing.slackMs += slack;
      spacing.roundTrip += j.answered - j.sent;
      spacing.unwind += j.left - j.answered;
      spacing.idle += lane - j.left;
      spacing.plugins += x.paced - lane;
      spacing.pacer += x.sent - x.paced;
    } else {
      windows[kind].steps++;
      windows[kind].slackMs += slack;
    }
    k = from;
  }
  return { spanMs: s.at(-1) - s[0], gapMs: gap, spacing, ...windows };
}

const counting = () => {
  const counts = new Map();
  const note = (level) => (message) =>
    counts.set(`${level}: ${message}`, (counts.get(`${level}: ${message}`) ?? 0) + 1);
  return { counts, info: () => {}, warn: note('warn'), error: note('error') };
};

export async function benchGitHubBurst({ count = 500, timeScale = 160, concurrency = 4 } = {}) {
  const { startGitHubSimulator } = await loadSimulator();
  const limits = {
    timeScale,
    gapMs: DEFAULT_PACING.minWriteGapMs,
    perMinute: DEFAULT_PACING.contentPerMinute,
    perHour: DEFAULT_PACING.contentPerHour,
  };
  const token = `ghp_bench${newRequestId().replaceAll('-', '')}`;
  const sim = await startGitHubSimulator({
    tokens: [token],
    timeScale,
    secondary: { contentPerMinute: limits.perMinute, contentPerHour: limits.perHour },
    validateResponses: false,
  });

  // The packaged policy as it ships: no labels or reviewers, so the normal path is 3 mutations (branch,
  // file, pull request); labels would add one (POST issues/{n}/labels), reviewers another.
  const policy = packaged;
  const conventions = policy.policy.git;

  const logger = counting();
  // Timestamps per mutation for the profile (bench-side wrappers only: an outer hook, the pacer's
  // beforeSend, the fetch the client is given).
  const clock = () => performance.timeOrigin + now();
  const isWrite = (method) => !['GET', 'HEAD'].includes((method ?? 'GET').toUpperCase());
  const calls = [];
  const paces = [];
  const attemptsSent = [];
  const timedFetch = async (input, init) => {
    if (!isWrite(init?.method)) return fetch(input, init);
    const entry = { sent: clock(), answered: Number.NaN };
    attemptsSent.push(entry);
    try {
      return await fetch(input, init);
    } finally {
      entry.answered = clock();
    }
  };
  const client = createGitHubClient({
    auth: { token },
    baseUrl: sim.url,
    timeScale,
    logger,
    fetch: timedFetch,
  });
  client.octokit.hook.wrap('request', async (request, options) => {
    if (!isWrite(options.method)) return request(options);
    const entry = { entered: clock(), left: Number.NaN };
    calls.push(entry);
    try {
      return await request(options);
    } finally {
      entry.left = clock();
    }
  });
  const beforeSend = client.pacer.beforeSend.bind(client.pacer);
  client.pacer.beforeSend = async (kind) => {
    if (kind !== 'write') return beforeSend(kind);
    const entry = { paced: clock() };
    paces.push(entry);
    await beforeSend(kind);
  };
  const git = new GitHubHost({ client, owner: sim.owner, repo: sim.repo, logger });

  const dir = tempDir('github');
  const db = openDatabase(join(dir, 'rds-provisioner.db'));
  const stopCheckpoints = checkpointPeriodically(db);
  const rawStore = new SqliteStatusStore(db);
  const queue = new SqliteQueue(db, systemClock);
  const intake = new SqliteIntake(rawStore, queue);

  // The worker's store, watched: the burst is over when every request has reached pr_open or failed.
  let settled = 0;
  let allSettled;
  const finished = new Promise((resolve) => {
    allSettled = resolve;
  });
  const store = Object.create(rawStore);
  store.transition = async (id, to, change) => {
    const moved = await rawStore.transition(id, to, change);
    if (moved?.changed && (to === 'pr_open' || to === 'failed') && ++settled === count) allSettled();
    return moved;
  };
  const ctx = {
    policy,
    conventions,
    store,
    intake,
    git,
    clock: systemClock,
    logger,
    newRequestId: () => newRequestId(),
  };

  const names = Array.from({ length: count }, (_, i) => `burst-${String(i).padStart(4, '0')}`);
  const ids = [];
  const acceptStart = now();
  try {
    for (let i = 0; i < count; i++) {
      const outcome = await acceptRequest(ctx, requestFor(names[i], i), 'bench');
      if (outcome.kind !== 'accepted')
        throw new Error(`${names[i]} not accepted: ${JSON.stringify(outcome)}`);
      ids.push(outcome.record.id);
    }
    const acceptMs = now() - acceptStart;
    // The acceptance's "already on main?" reads are not the burst's: counters, log and windows start here.
    const acceptReads = sim.counters.reads;
    sim.resetCounters();
    const statsBefore = client.stats();
    const hostBefore = git.counters();

    const worker = new WorkerLoop(ctx, queue, {
      concurrency,
      // Longer than any wait for the hourly window at this scale, so no lease runs out mid-request.
      visibilityMs: 120_000,
      pollMs: 250,
      retry: DEFAULT_RETRY,
    });
    const floor = floorMs(count * 3, limits);
    worker.start();
    const deadline = new Promise((_, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `burst not done after ${((3 * floor + 60_000) / 1000).toFixed(0)} s: ${settled} of ${count} settled`,
            ),
          ),
        3 * floor + 60_000,
      );
      finished.finally(() => clearTimeout(timer));
    });
    try {
      await Promise.race([finished, deadline]);
    } finally {
      await worker.stop();
    }
    const stats = client.stats();

    // The outcome, request by request.
    const records = await Promise.all(ids.map((id) => rawStore.get(id)));
    const open = records.filter((r) => r?.status === 'pr_open');
    const lastOpen = Math.max(
      ...open.map((r) => Date.parse(r.history.find((h) => h.status === 'pr_open').at)),
    );
    const attempts = records.map((r) => r?.history.filter((h) => h.status === 'processing').length ?? 0);
    const mutationLog = sim.log.filter((x) => x.method !== 'GET' && x.method !== 'HEAD');
    const firstMutation = mutationLog[0]?.startedAt ?? Number.NaN;
    const wallMs = lastOpen - firstMutation;

    const branches = names.map((name) => branchName(name, conventions));
    const pullsByBranch = new Map();
    for (const pull of sim.pulls())
      pullsByBranch.set(pull.head.ref, (pullsByBranch.get(pull.head.ref) ?? 0) + 1);
    const onePull = branches.filter((b) => pullsByBranch.get(b) === 1).length;
    const extraPulls = sim.pulls().length - onePull;

    // Mutations by branch (the simulator's counters); reads attributed through the log: the request's
    // branch, its file (read at the base commit), and the base head (one per attempt).
    const mutations = branches.map((b) => sim.counters.mutationsByBranch[b] ?? 0);
    const index = new Map();
    names.forEach((name, i) => {
      index.set(`branch:${branches[i]}`, i);
      index.set(`file:${locate(conventions, name, requestFor(name, i).environment).file}`, i);
    });
    const reads = new Array(count).fill(0);
    const contentsPrefix = `/repos/${sim.owner}/${sim.repo}/contents/`;
    let baseHeadReads = 0;
    let unattributed = 0;
    for (const x of sim.log) {
      if (!x.handled || x.method !== 'GET') continue;
      const i =
        index.get(`branch:${x.branch}`) ??
        (x.path.startsWith(contentsPrefix)
          ? index.get(`file:${decodeURIComponent(x.path.slice(contentsPrefix.length))}`)
          : undefined);
      if (i !== undefined) reads[i]++;
      else if (x.branch === conventions.base) baseHeadReads++;
      else unattributed++;
    }
    const totalAttempts = attempts.reduce((a, b) => a + b, 0);
    attempts.forEach((n, i) => {
      reads[i] += n;
    });

    const floorS = floor / 1000;
    const wallS = wallMs / 1000;
    const ratio = wallMs / floor;
    const violations = sim.violations;
    const rows = [
      row(`${count} requests, first mutation -> last pr_open (s)`, fmt(wallS, 2), fmt(floorS, 2), ratio, {
        ok: ratio <= 1.1,
        text: 'ratio <= 1.10',
      }),
      row('secondary and primary limit violations', String(violations.length), '-', Number.NaN, {
        ok: violations.length === 0,
        text: 'figure = 0',
      }),
      row(
        'mutations per request, mean / max',
        `${fmt(mean(mutations), 2)} / ${Math.max(...mutations)}`,
        '3',
        mean(mutations) / 3,
        { ok: Math.max(...mutations) <= 3, text: 'max <= 3' },
      ),
      row(
        'reads per request, mean / max',
        `${fmt(mean(reads), 2)} / ${Math.max(...reads)}`,
        '2',
        mean(reads) / 2,
      ),
      row(
        'requests pr_open with exactly one pull request',
        `${Math.min(open.length, onePull)} / ${count}`,
        '-',
        Number.NaN,
        {
          ok: open.length === count && onePull === count && extraPulls === 0,
          text: 'all',
        },
      ),
      row('requests GitHub would refuse (simulator problems)', String(sim.problems.length), '-', Number.NaN, {
        ok: sim.problems.length === 0,
        text: 'figure = 0',
      }),
    ];

    return {
      rows,
      setup: { count, timeScale, concurrency, limits, acceptMs, acceptReads },
      floorMs: floor,
      wallMs,
      ratio,
      mutationsMean: mean(mutations),
      mutationsMax: Math.max(...mutations),
      readsMean: mean(reads),
      readsMax: Math.max(...reads),
      open: open.length,
      failed: records.filter((r) => r?.status === 'failed').length,
      onePull,
      extraPulls,
      attempts: totalAttempts,
      baseHeadReads,
      unattributedReads: unattributed,
      violations: violations.slice(0, 20),
      violationCount: violations.length,
      problems: sim.problems.slice(0, 20),
      problemCount: sim.problems.length,
      byRoute: sim.counters.byRoute,
      maxInFlightContent: sim.counters.maxInFlightContent,
      tailMs: lastOpen - (mutationLog.at(-1)?.startedAt ?? Number.NaN),
      client: {
        reads: stats.reads - statsBefore.reads,
        mutations: stats.mutations - statsBefore.mutations,
        rateLimited: stats.rateLimited - statsBefore.rateLimited,
        pauses: stats.pauses - statsBefore.pauses,
        writeWaitMs: stats.writeWaitMs - statsBefore.writeWaitMs,
      },
      host: {
        reads: git.counters().reads - hostBefore.reads,
        mutations: git.counters().mutations - hostBefore.mutations,
      },
      slack:
        calls.length === paces.length && paces.length === attemptsSent.length
          ? slackProfile(
              calls.map((c, i) => ({ ...c, ...paces[i], ...attemptsSent[i] })),
              limits,
            )
          : undefined,
      log: Object.fromEntries(logger.counts),
    };
  } finally {
    stopCheckpoints();
    db.close();
    await sim.stop();
  }
}
