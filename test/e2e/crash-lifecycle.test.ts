/**
 * "Kill mid-change: one PR, nothing lost", for changes and retirements. Two dozen databases are created and
 * merged; then each goes through its own changes and retirement while the real server is killed with
 * SIGKILL (some kills while a request is being processed, some at random) and restarted on the same data
 * dir and repository. The test merges every pull request through the API as it goes: for half of the
 * databases as soon as it is listed (before the worker has recorded pr_open, when a kill fell between
 * the two), for the others once the request says pr_open. Merges are never cut by a kill here: a merge
 * killed halfway holds its pull request for the merge lease, and test/integration/merge-crash.test.ts
 * covers that crash.
 *
 * Every accepted request must end merged with one pull request per step and nothing else recorded; for
 * each database its file is on main iff its retirement is not merged, and a file on main names the last
 * change merged.
 */
import { describe, expect, it } from 'vitest';
import { shortId } from '../../src/domain/naming.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { unprotectedSpec } from '../../src/domain/retire.js';
import { readDatabaseFile } from '../../src/render/read-database-file.js';
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
import { branches, fileAt, fsck, git, revParse } from '../support/git-checks.js';
import { fileOf } from '../support/layouts.js';
import { personalToken } from '../support/principals.js';
import { api, type RunningServer } from '../support/server.js';

const SEED = Number(process.env.CRASH_SEED ?? 20_260_112);
const DATABASES = 24;
const KILLS = 8;
const WORKERS = 2;
const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
type Environment = (typeof ENVIRONMENTS)[number];

const { policy } = loadPolicyFile();

type Op = { kind: 'change'; body: Record<string, unknown> } | { kind: 'retire' };

interface Plan {
  db: string;
  environment: Environment;
  create: Record<string, unknown>;
  ops: Op[];
  /** Merge each pull request as soon as it is listed, rather than once the request is pr_open. */
  mergeEarly: boolean;
}

/** Database i: created, then changed and retired, changed twice and kept, or retired at once. */
function planFor(i: number, random: ReturnType<typeof prng>): Plan {
  const environment = ENVIRONMENTS[i % 3] as Environment;
  const db = `life-${environment}-${String(i).padStart(2, '0')}`;
  const create = {
    db_name: db,
    engine: i % 2 === 0 ? 'postgres' : 'mysql',
    environment,
    ...(environment === 'prod' ? { owner: 'team-a' } : {}),
  };
  const resize: Op = { kind: 'change', body: { size: environment === 'dev' ? 'medium' : 'large' } };
  const retag: Op = { kind: 'change', body: { owner: `team-${i}`, tags: { rev: String(i) } } };
  const retire: Op = { kind: 'retire' };
  const ops = [[resize, retag, retire], [resize, retire], [retire], [resize, retag]][i % 4] as Op[];
  return { db, environment, create, ops, mergeEarly: random.next() < 0.5 };
}

/** Whether a retirement of the database takes a first step (deletion protection off, final snapshot on). */
function retiresInTwoSteps(plan: Plan): boolean {
  const resolved = resolveRequest(plan.create, policy, { requestId: 'crash-lifecycle' });
  const env = policy.environments[plan.environment];
  if (!resolved.ok || !env) throw new Error(`invalid test database ${JSON.stringify(plan.create)}`);
  return unprotectedSpec(resolved.value.spec, env, 'crash-lifecycle') !== null;
}

/** The branches of a request's pull requests, one per step, in order. */
function branchesOf(plan: Plan, kind: 'create' | Op['kind'], id: string): string[] {
  if (kind === 'create') return [`feature/provision-rds-${plan.db}`];
  if (kind === 'change') return [`feature/change-rds-${plan.db}-${shortId(id)}`];
  const removal = `feature/retire-rds-${plan.db}-${shortId(id)}`;
  return retiresInTwoSteps(plan) ? [`${removal}-unprotect`, removal] : [removal];
}

describe('crash safety: SIGKILL while changes and retirements are in flight', () => {
  const suite = crashClusterPerSuite('crash-lifecycle');

  it(`loses nothing and duplicates nothing across ${KILLS} kills while ${DATABASES} databases change and retire`, {
    timeout: 300_000,
  }, async () => {
    const random = prng(SEED);
    const { cluster: c, repo } = await suite.start(SEED, WORKERS);
    const { t0 } = c;
    const plans = Array.from({ length: DATABASES }, (_, i) => planFor(i, random));
    const problems: string[] = [];

    /** One API call, asked again on the next server when a kill cut it. */
    const ask = async (method: string, path: string, body?: unknown) => {
      for (let tries = 0; ; tries++) {
        const server = await c.current();
        try {
          return { tries, answer: await api(server)(method, path, body) };
        } catch (error) {
          if (tries >= 500) throw new Error(`${method} ${path}: no answer after ${tries} tries`);
          await c.afterConnectionFailure(server, error);
        }
      }
    };

    // The pull request list, shared by every database's driver and read at most every 100 ms.
    let listed: { at: number; pulls: Promise<PullView[]> } | undefined;
    const pullsNow = () => {
      if (!listed || Date.now() - listed.at > 100) {
        listed = {
          at: Date.now(),
          pulls: ask('GET', '/pulls').then(({ answer }) => answer.json.pull_requests as PullView[]),
        };
      }
      return listed.pulls;
    };

    /** Sends a request until it is answered; a retry may find the first try recorded (its 202 lost). */
    let lostAnswers = 0;
    const submit = async (method: string, path: string, body?: unknown): Promise<string> => {
      for (;;) {
        const { tries, answer } = await ask(method, path, body);
        if (answer.status === 202) return answer.json.request_id as string;
        if (answer.status === 409 && tries > 0 && typeof answer.json?.request_id === 'string') {
          lostAnswers++;
          return answer.json.request_id as string;
        }
        throw new Error(`${method} ${path} (try ${tries + 1}): ${answer.status} ${answer.text}`);
      }
    };

    // Another person merges: whoever asked for a prod database may not (separate_duties).
    const reviewer = await c.sheltered((server) => personalToken(server, 'reviewer', 'approver'));
    /** Merges a pull request, sheltered from kills; a pull request merged already is fine. */
    const merge = async (number: number) => {
      const answer = await c.sheltered((server) =>
        api({ url: server.url, token: reviewer })('POST', `/pulls/${number}/merge`),
      );
      if (answer.status === 200) return;
      if (answer.status === 409 && /is merged/.test(answer.json?.message ?? '')) return;
      problems.push(`merge #${number}: ${answer.status} ${answer.text}`);
    };

    /** Merges the request's pull requests, step by step, until the request is merged. */
    const mergeThrough = async (plan: Plan, id: string): Promise<RequestView> => {
      const deadline = Date.now() + 150_000;
      for (;;) {
        const view = (await ask('GET', `/requests/${id}`)).answer.json as RequestView;
        if (view.status === 'merged') return view;
        if (view.status === 'failed' || view.status === 'closed')
          throw new Error(`${plan.db} ${id}: ${view.status} ${view.failure_reason ?? ''}`);
        if (Date.now() > deadline)
          throw new Error(`${plan.db} ${id}: still ${view.status} at step ${view.step}`);
        let number: number | undefined;
        if (plan.mergeEarly)
          number = (await pullsNow()).find((p) => p.request_id === id && p.state === 'open')?.number;
        else if (view.status === 'pr_open') number = view.pull_request?.number;
        if (number !== undefined) await merge(number);
        else await sleep(50);
      }
    };

    /** What main holds for the database once a request is merged: the file it names, or none. */
    const checkMain = (plan: Plan, id: string, kind: Op['kind'] | 'create') => {
      const path = fileOf(plan.db, plan.environment);
      const content = fileAt(repo, 'main', path);
      if (kind === 'retire') {
        if (content !== null) problems.push(`${plan.db}: retired by ${id}, but ${path} is on main`);
        return;
      }
      const file = content === null ? undefined : readDatabaseFile(content, path, policy.git);
      if (file?.kind !== 'generated' || file.requestId !== id)
        problems.push(
          `${plan.db}: ${kind} ${id} merged, main's file is ${file ? JSON.stringify(file) : 'gone'}`,
        );
    };

    // ------------------------------------------------------------------------------------------------
    // The databases, created and merged with no kills.
    const accepted = new Map<string, Array<{ id: string; kind: Op['kind'] | 'create' }>>();
    await Promise.all(
      plans.map(async (plan) => {
        const id = await submit('POST', '/provision', plan.create);
        await mergeThrough(plan, id);
        checkMain(plan, id, 'create');
        accepted.set(plan.db, [{ id, kind: 'create' }]);
      }),
    );
    expect(problems).toEqual([]);
    const createdSeconds = (Date.now() - t0) / 1000;

    // ------------------------------------------------------------------------------------------------
    // Each database's changes and retirement, one request after the other, while the killer kills.
    let driving = true;
    const drive = async (plan: Plan) => {
      for (const op of plan.ops) {
        const path = `/databases/${plan.db}`;
        const id = op.kind === 'change' ? await submit('PATCH', path, op.body) : await submit('DELETE', path);
        accepted.get(plan.db)?.push({ id, kind: op.kind });
        await mergeThrough(plan, id);
        checkMain(plan, id, op.kind);
      }
    };
    const killer = async () => {
      while (driving && c.kills.length < KILLS) {
        if (c.kills.length % 2 === 0) {
          // While a request is being processed: the worker is mid-change or mid-retirement.
          const deadline = Date.now() + 20_000;
          let busy = false;
          while (driving && !busy && Date.now() < deadline) {
            const server = await c.current();
            const page = await api(server)('GET', '/requests?status=processing&limit=1').catch(
              () => undefined,
            );
            busy = (page?.json?.requests?.length ?? 0) > 0;
            if (!busy) await sleep(10);
          }
          if (!driving) break;
          await c.killAndRestart(busy ? 'processing' : 'idle');
        } else {
          await sleep(random.between(100, 800));
          if (driving) await c.killAndRestart('random');
        }
      }
    };
    const killing = killer();
    try {
      await Promise.all(plans.map(drive));
    } finally {
      driving = false;
      await killing;
    }
    const drivenSeconds = (Date.now() - t0) / 1000;

    expect(problems).toEqual([]);
    expect(c.kills.length).toBeGreaterThanOrEqual(5);
    expect(c.kills.some((k) => k.phase === 'processing')).toBe(true);

    // ------------------------------------------------------------------------------------------------
    // Nothing lost, nothing else recorded: per database exactly the requests the client was told of, in
    // order, every one merged after the steps its kind takes, with a history the state machine allows.
    const server = (await c.current()) as RunningServer;
    const requests = await allRequests(server);
    const byId = new Map(requests.map((r) => [r.request_id, r]));
    for (const plan of plans) {
      const mine = requests
        .filter((r) => r.db_name === plan.db)
        .sort((a, b) => (a.request_id < b.request_id ? -1 : 1))
        .map((r) => r.request_id);
      expect(mine, plan.db).toEqual(accepted.get(plan.db)?.map((a) => a.id));
    }
    expect(requests).toHaveLength(DATABASES + plans.reduce((n, p) => n + p.ops.length, 0));
    expect(requests.filter((r) => r.status !== 'merged').map((r) => `${r.db_name}: ${r.status}`)).toEqual([]);
    expect(requests.flatMap(historyProblems)).toEqual([]);

    // One pull request per step, from the step's branch, merged; no other pull request or branch.
    const pulls = await allPulls(server);
    const wanted: string[] = [];
    const mismatches: string[] = [];
    for (const plan of plans) {
      for (const { id, kind } of accepted.get(plan.db) ?? []) {
        const steps = branchesOf(plan, kind, id);
        wanted.push(...steps);
        const view = byId.get(id);
        if (view?.kind !== kind || view.step !== steps.length)
          mismatches.push(
            `${plan.db} ${id}: ${view?.kind} at step ${view?.step}, ${kind} in ${steps.length}`,
          );
        const opened = pulls
          .filter((p) => p.request_id === id)
          .sort((a, b) => a.number - b.number)
          .map((p) => `${p.branch} ${p.state}`);
        if (JSON.stringify(opened) !== JSON.stringify(steps.map((b) => `${b} merged`)))
          mismatches.push(`${plan.db} ${kind} ${id}: pull requests ${JSON.stringify(opened)}`);
        if (view?.pull_request?.branch !== steps.at(-1))
          mismatches.push(`${plan.db} ${id}: names ${JSON.stringify(view?.pull_request)}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(pulls).toHaveLength(wanted.length);
    expect(branches(repo)).toEqual(['main', ...wanted].sort());

    // Each merge brought exactly one commit, the branch's head, which has not moved since.
    const merged = pulls.map((p) => p.merge_commit as string);
    const secondParents = revParse(
      repo,
      merged.map((m) => `${m}^2`),
    );
    const heads = revParse(
      repo,
      pulls.map((p) => p.branch),
    );
    pulls.forEach((p, i) => {
      const brought = Number(git(repo, 'rev-list', '--count', `${merged[i]}^1..${merged[i]}^2`).trim());
      if (brought !== 1 || secondParents[i] !== heads[i])
        mismatches.push(`#${p.number} ${p.branch}: brought ${brought} commits; head ${heads[i]}`);
    });
    expect(mismatches).toEqual([]);

    // Main: a database's file is there iff its retirement is not merged, and names its last request.
    for (const plan of plans) {
      const last = accepted.get(plan.db)?.at(-1) as { id: string; kind: Op['kind'] | 'create' };
      checkMain(plan, last.id, last.kind);
    }
    expect(problems).toEqual([]);
    const checked = fsck(repo);
    expect(checked.problems).toEqual([]);
    expect(checked.status).toBe(0);

    const redelivered = requests.filter((r) => r.attempts > 1);
    // Steps whose merge was reported while the worker was still at it (before it recorded pr_open).
    const mergedEarly = requests.flatMap((r) =>
      r.history.filter(
        (h, i) =>
          i > 0 &&
          r.history[i - 1]?.status === 'processing' &&
          h.status !== 'processing' &&
          h.status !== 'pr_open',
      ),
    ).length;
    expect(redelivered.length, 'kills interrupted the worker at least once').toBeGreaterThan(0);
    const phases = (phase: string) => c.kills.filter((k) => k.phase === phase).length;
    console.log(
      `crash-lifecycle: seed ${SEED}; ${c.kills.length} kills (${phases('processing')} while processing, ` +
        `${phases('random')} at random, ${phases('idle')} idle; at ${c.kills.map((k) => (k.at / 1000).toFixed(1)).join(', ')} s); ` +
        `${requests.length} requests (${lostAnswers} whose 202 was lost), ${pulls.length} pull requests; ` +
        `${redelivered.length} redelivered, ${mergedEarly} steps merged before pr_open; created ${createdSeconds.toFixed(1)} s, driven ${drivenSeconds.toFixed(1)} s, ` +
        `total ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );

    expect(await server.stop()).toBe(0);
    suite.passed();
  });
});
