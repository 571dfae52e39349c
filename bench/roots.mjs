// 6. Roots at fleet scale (issue 11): what the service controls for one pull request that adds a database,
// in a per-database repository of 10,000 roots against one of 10, measured in the same run:
// - finding its changed roots exactly as `rds-provisioner changed-roots` does (resolveCommit twice, then
//   changedRootsBetween's steps: mergeBase, changedPaths, filesAt of directoriesToList, changedRoots),
//   against the pull request's branch;
// - rendering it (resolveRequest, renderTerraform, renderPullRequest);
// - processing the request into a branch, commit and pull request (processRequest on the local runtime's
//   adapters: SQLite store, intake and queue, LocalGitHost on a bare repository).
// In-process from dist/ (git runs as the service runs it), the two repositories alternating (ABBA).
import { changedPaths, filesAt, mergeBase, resolveCommit } from '../dist/adapters/local/git-changes.js';
import { silentLogger } from '../dist/adapters/system.js';
import { acceptRequest } from '../dist/app/accept-request.js';
import { processRequest } from '../dist/app/process-request.js';
import { changedRoots, directoriesToList } from '../dist/domain/changed-roots.js';
import { locate } from '../dist/domain/layout.js';
import { branchName } from '../dist/domain/naming.js';
import { resolveRequest } from '../dist/domain/resolve.js';
import { renderPullRequest } from '../dist/render/pull-request.js';
import { renderTerraform } from '../dist/render/terraform.js';
import { appContext } from '../dist/runtime/app-context.js';
import { conventions, localAdapters, policy, repositoryWith, requestFor } from './fixtures.mjs';
import { fmt, mean, median, now, row } from './lib.mjs';
import { timed } from './repo-size.mjs';

const TARGET = 1.5;

if (conventions.layout !== 'per-database')
  throw new Error(`the roots benchmark needs the packaged per-database layout, not ${conventions.layout}`);

/** What `rds-provisioner changed-roots` does before printing, timed by part. */
async function findChangedRoots(repo, baseRev, headRev) {
  const t0 = now();
  const head = await resolveCommit(repo, headRev);
  const base = await resolveCommit(repo, baseRev);
  const t1 = now();
  const changes = await changedPaths(repo, await mergeBase(repo, base, head), head);
  const t2 = now();
  const files = await filesAt(repo, head, directoriesToList(changes, conventions));
  const t3 = now();
  const result = changedRoots(changes, conventions, files);
  const t4 = now();
  return {
    result,
    listed: files.length,
    parts: {
      'resolveCommit x2': t1 - t0,
      'changedPaths (git diff)': t2 - t1,
      'filesAt (git ls-tree -r)': t3 - t2,
      'changedRoots (pure)': t4 - t3,
    },
  };
}

/** The pull request's texts, as processRequest makes them: resolve, the root's file, the title and body. */
function render(request, requestId) {
  const resolved = resolveRequest(request, policy.policy, { requestId });
  if (!resolved.ok) throw new Error(`bench request refused: ${JSON.stringify(resolved.issues)}`);
  const { spec } = resolved.value;
  const content = renderTerraform(spec);
  const text = renderPullRequest({
    spec,
    requester: 'bench',
    policySource: policy.source,
    filePath: spec.location.file,
    branch: branchName(spec.dbName, conventions),
    base: conventions.base,
  });
  return content.length + text.body.length;
}

async function repository(name, databases) {
  const { repo, setupMs } = await repositoryWith(name, databases);
  const { db, store, intake, git } = localAdapters(repo);
  const steps = new Map();
  const ctx = appContext({
    policy,
    store,
    intake,
    git: timed(git, ['headOf', 'readFile', 'ensureBranch', 'ensureFile', 'ensurePullRequest'], steps, 'git.'),
    logger: silentLogger,
  });
  const samples = { find: [], render: [], process: [], total: [] };
  const parts = new Map();
  let listed = 0;
  return {
    name,
    databases,
    setupMs,
    samples,
    parts,
    steps,
    get listed() {
      return listed;
    },
    /** One pull request that adds one database: accepted (not timed), rendered, processed, its roots found. */
    async once(i, { measured, renderRepeat }) {
      const dbName = `new-${i}`;
      const request = requestFor(dbName, i);
      const accepted = await acceptRequest(ctx, request, 'bench');
      if (accepted.kind !== 'accepted') throw new Error(`${name}: ${dbName} not accepted: ${accepted.kind}`);
      const id = accepted.record.id;

      // Rendering is sub-millisecond: the mean of a few in a row.
      const renderStart = now();
      for (let r = 0; r < renderRepeat; r++) render(request, id);
      const renderMs = (now() - renderStart) / renderRepeat;

      steps.on = measured;
      const processStart = now();
      const outcome = await processRequest(ctx, id, 1);
      const processMs = now() - processStart;
      steps.on = false;
      if (outcome.kind !== 'done' || outcome.status !== 'pr_open')
        throw new Error(`${name}: ${dbName} ended ${JSON.stringify(outcome)}`);

      const found = await findChangedRoots(repo, conventions.base, branchName(dbName, conventions));
      const { plan, destroy, everything, problems } = found.result;
      const expected = locate(conventions, dbName, request.environment).root;
      if (plan.length !== 1 || plan[0].root !== expected || destroy.length || everything || problems.length)
        throw new Error(`${name}: changed roots of ${dbName}: ${JSON.stringify(found.result)}`);
      listed = found.listed;
      if (!measured) return;
      const findMs = Object.values(found.parts).reduce((a, b) => a + b, 0);
      samples.find.push(findMs);
      samples.render.push(renderMs);
      samples.process.push(processMs);
      samples.total.push(findMs + processMs);
      for (const [part, ms] of Object.entries(found.parts)) parts.set(part, [...(parts.get(part) ?? []), ms]);
    },
    async close() {
      await git.dispose();
      db.close();
    },
  };
}

/**
 * @param iterations measured pull requests per repository (at most), after `warmup`
 * @param seconds stop measuring once this has passed and `minimum` pull requests were measured
 */
export async function benchRoots({
  small = 10,
  large = 10_000,
  iterations = 60,
  warmup = 5,
  minimum = 10,
  seconds = 90,
  renderRepeat = 20,
} = {}) {
  const a = await repository('roots-small', small);
  const b = await repository('roots-large', large);
  let measured = 0;
  try {
    const start = now();
    for (let i = 0; i < warmup + iterations; i++) {
      const isMeasured = i >= warmup;
      for (const r of i % 2 === 0 ? [a, b] : [b, a]) await r.once(i, { measured: isMeasured, renderRepeat });
      if (isMeasured) measured++;
      if (measured >= minimum && now() - start > seconds * 1000) break;
    }
  } finally {
    await a.close();
    await b.close();
  }
  const label = `${large.toLocaleString('en-US')} vs ${small} roots`;
  const target = (ratio) => ({ ok: ratio <= TARGET, text: `ratio <= ${TARGET}` });
  const figure = (key, title, digits = 2) => {
    const fa = median(a.samples[key]);
    const fb = median(b.samples[key]);
    return row(`${title}, ${label} (ms, median)`, fmt(fb, digits), fmt(fa, digits), fb / fa, target(fb / fa));
  };
  const rows = [
    figure('total', 'find the changed roots + process the request'),
    figure('find', 'find the changed roots (changed-roots)'),
    figure('render', 'render the pull request (resolve, Terraform, text)', 3),
    figure('process', 'process the request: branch, commit, pull request'),
  ];
  const medians = (map) =>
    Object.fromEntries([...map].map(([key, ms]) => [key, Number(median(ms).toFixed(3))]));
  const perRequest = (r) =>
    Object.fromEntries([...r.steps].map(([key, ms]) => [key, Number((ms / measured).toFixed(3))]));
  const summary = (r) => ({
    roots: r.databases,
    setupMs: r.setupMs,
    listedAtHead: r.listed,
    median: Object.fromEntries(Object.entries(r.samples).map(([k, v]) => [k, Number(median(v).toFixed(3))])),
    mean: Object.fromEntries(Object.entries(r.samples).map(([k, v]) => [k, Number(mean(v).toFixed(3))])),
    findParts: medians(r.parts),
    processSteps: perRequest(r),
  });
  return { rows, measured, warmup, renderRepeat, small: summary(a), large: summary(b) };
}
