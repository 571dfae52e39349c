/**
 * GitHost.upsertPullRequestComment on both hosts: the service's one comment of a kind on a pull request,
 * found by the hidden marker its body carries, created once and then edited in place, with no write when it
 * already says the same. Local: kept in the service's SQLite database beside the pull request (one per
 * marker, also when two processes write at once). GitHub: an issue comment, found only among the comments
 * the credentials' own account wrote, so a stranger's comment with the marker is never taken over.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubHost } from '../../src/adapters/github/github-host.js';
import { createGitHubClient, type GitHubClientOptions } from '../../src/adapters/github/octokit.js';
import { ensureInfraRepository } from '../../src/adapters/local/git-infra-repository.js';
import { LocalGitHost } from '../../src/adapters/local/local-git-host.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { silentLogger } from '../../src/adapters/system.js';
import { COMMENT_BODY_MAX_CHARS } from '../../src/domain/pull-request-comment.js';
import type { GitHost } from '../../src/ports.js';
import { gitHostError } from '../support/git-host-error.js';
import {
  type GitHubSimulator,
  type GitHubSimulatorOptions,
  startGitHubSimulator,
} from '../support/github-simulator.js';
import { ManualClock } from '../support/manual-clock.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGISTER = fileURLToPath(new URL('../support/ts-register.mjs', import.meta.url));
const CHILD = fileURLToPath(new URL('../support/comment-child.ts', import.meta.url));
const AUTHOR = { name: 'rds-provisioner', email: 'rds-provisioner@example.com' };
const BRANCH = 'feature/provision-rds-orders';
const MARKER = '<!-- rds-provisioner:plan -->';
const plan = (text: string) => `${MARKER}\n### Terraform plan\n\n${text}\n`;

/** Refused before anything is written: [what, marker, body, what the message says]. */
const BAD_COMMENTS: Array<[string, string, string, string]> = [
  [
    'a marker that is no HTML comment',
    'rds-provisioner:plan',
    'rds-provisioner:plan\nx',
    'invalid comment marker',
  ],
  ['an empty marker', '', 'x', 'invalid comment marker'],
  ['a marker that closes early', '<!-- a --> <!-- b -->', '<!-- a --> <!-- b -->', 'invalid comment marker'],
  ['a body without its marker', MARKER, 'no marker here', 'does not carry its marker'],
  [
    'a body longer than GitHub takes',
    MARKER,
    `${MARKER}\n${'x'.repeat(COMMENT_BODY_MAX_CHARS)}`,
    `more than the ${COMMENT_BODY_MAX_CHARS}`,
  ],
];

/** Each bad number, marker and body is refused as permanent, with a short message saying why. */
async function expectBadCommentsRefused(host: GitHost, number: number): Promise<void> {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    const error = await gitHostError(host.upsertPullRequestComment(bad, MARKER, plan('x')));
    expect(error.kind).toBe('permanent');
    expect(error.message).toContain('invalid pull request number');
  }
  for (const [what, marker, body, says] of BAD_COMMENTS) {
    const error = await gitHostError(host.upsertPullRequestComment(number, marker, body));
    expect(error.kind, what).toBe('permanent');
    expect(error.message, what).toContain(says);
    expect(error.message.length, what).toBeLessThan(300);
  }
}

describe('LocalGitHost.upsertPullRequestComment', () => {
  let dir: string;
  let repo: string;
  let dbFile: string;
  let db: SqliteDatabase;
  let clock: ManualClock;
  let host: LocalGitHost;
  let number: number;
  const children: ChildProcessWithoutNullStreams[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdsp-pr-comments-'));
    repo = join(dir, 'infra');
    clock = new ManualClock();
    await ensureInfraRepository(repo, {
      sourceDir: ROOT,
      author: AUTHOR,
      layout: 'per-database',
      now: clock.now(),
    });
    dbFile = join(dir, 'service.db');
    db = openDatabase(dbFile);
    host = new LocalGitHost({ repository: repo, author: AUTHOR, db, clock, pullUrl: (n) => `http://x/${n}` });
    number = await openPullRequest(host, BRANCH);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await host.dispose();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the comment once, edits it in place, and writes nothing when it already says that', async () => {
    const createdAt = clock.now().toISOString();
    expect(await host.upsertPullRequestComment(number, MARKER, plan('one'))).toEqual({
      created: true,
      updated: false,
    });
    expect((await host.get(number))?.comments).toEqual([
      { marker: MARKER, body: plan('one'), updatedAt: createdAt },
    ]);

    clock.advance(60_000);
    expect(await host.upsertPullRequestComment(number, MARKER, plan('one'))).toEqual({
      created: false,
      updated: false,
    });
    expect((await host.get(number))?.comments).toEqual([
      { marker: MARKER, body: plan('one'), updatedAt: createdAt },
    ]);

    const editedAt = clock.now().toISOString();
    expect(await host.upsertPullRequestComment(number, MARKER, plan('two'))).toEqual({
      created: false,
      updated: true,
    });
    expect((await host.get(number))?.comments).toEqual([
      { marker: MARKER, body: plan('two'), updatedAt: editedAt },
    ]);
  });

  it('keeps one comment per marker and pull request; list() and a new host on the database carry them', async () => {
    const other = await openPullRequest(host, 'feature/provision-rds-billing');
    const cost = '<!-- rds-provisioner:cost -->';
    await host.upsertPullRequestComment(number, MARKER, plan('orders'));
    clock.advance(1_000);
    await host.upsertPullRequestComment(number, cost, `${cost}\n$12 a month\n`);
    await host.upsertPullRequestComment(other, MARKER, plan('billing'));

    const byNumber = new Map((await host.list()).map((pr) => [pr.number, pr.comments]));
    expect(byNumber.get(number)?.map((c) => [c.marker, c.body])).toEqual([
      [MARKER, plan('orders')],
      [cost, `${cost}\n$12 a month\n`],
    ]);
    expect(byNumber.get(other)?.map((c) => c.body)).toEqual([plan('billing')]);

    const again = new LocalGitHost({ repository: repo, author: AUTHOR, db, clock, pullUrl: (n) => `${n}` });
    try {
      expect((await again.get(number))?.comments.map((c) => c.marker)).toEqual([MARKER, cost]);
      expect(await again.upsertPullRequestComment(number, MARKER, plan('orders'))).toEqual({
        created: false,
        updated: false,
      });
    } finally {
      await again.dispose();
    }
  });

  it('a pull request without comments lists none; merged and closed ones take comments too', async () => {
    expect((await host.get(number))?.comments).toEqual([]);
    await host.close(number, clock.now());
    expect(await host.upsertPullRequestComment(number, MARKER, plan('closed'))).toEqual({
      created: true,
      updated: false,
    });
    expect((await host.get(number))?.comments.map((c) => c.body)).toEqual([plan('closed')]);
  });

  it('two processes upserting at once make exactly one comment, created once', {
    timeout: 90_000,
  }, async () => {
    const rounds = 40;
    const workers = [0, 1].map((id) => startChild(id, rounds));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.proc.stdin.write('go\n');
    const results = (await Promise.all(workers.map((w) => w.done))).flat();
    expect(results).toHaveLength(2 * rounds);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    // Every body differs from the one before it: each write either created the comment or edited it.
    expect(results.every((r) => r.created !== r.updated)).toBe(true);
    const comments = (await host.get(number))?.comments ?? [];
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toMatch(/^<!-- rds-provisioner:plan -->\nchild [01] round \d+\n$/);
  });

  it('refuses an unknown pull request, a bad marker, a body without it or too long, and writes nothing', async () => {
    await host.upsertPullRequestComment(number, MARKER, plan('kept'));
    const before = db.prepare('SELECT * FROM pull_request_comments').all();

    const unknown = await gitHostError(host.upsertPullRequestComment(number + 100, MARKER, plan('x')));
    expect(unknown.kind).toBe('not_found');
    expect(unknown.message).toContain(`no pull request #${number + 100}`);
    await expectBadCommentsRefused(host, number);
    expect(db.prepare('SELECT * FROM pull_request_comments').all()).toEqual(before);
  });

  /** A child process on the same database and repository, upserting `rounds` times once told to go. */
  function startChild(id: number, rounds: number) {
    const proc = spawn(
      process.execPath,
      ['--import', REGISTER, CHILD, dbFile, repo, String(number), MARKER, String(id), String(rounds)],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.push(proc);
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    const exited = once(proc, 'exit');
    const ready = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.startsWith('ready\n')) resolve();
      };
      proc.stdout.on('data', check);
      exited.then(() => reject(new Error(`child ${id} exited before it was ready: ${err}`)));
    });
    const done = exited.then(([code]) => {
      if (code !== 0) throw new Error(`child ${id} exited ${code}: ${err}`);
      return out
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { created: boolean; updated: boolean });
    });
    return { proc, ready, done };
  }
});

/** Opens a pull request for a branch one commit past main; its number. */
async function openPullRequest(host: LocalGitHost, branch: string): Promise<number> {
  const main = (await host.headOf('main')) as string;
  await host.ensureBranch(branch, main);
  const db = branch.split('-').pop() as string;
  await host.ensureFile({ branch, path: `terraform/live/${db}.tf`, content: `# ${db}\n`, message: db });
  const requestId = `req_${db}`;
  const pr = await host.ensurePullRequest({
    branch,
    base: 'main',
    title: `Provision ${db}`,
    body: `<!-- rds-provisioner request-id: ${requestId} -->\n`,
    requestId,
  });
  return pr.number;
}

describe('GitHubHost.upsertPullRequestComment', () => {
  const SCALE = 100;
  const LIST = 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments';
  const CREATE = 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments';
  const UPDATE = 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}';
  const sims: GitHubSimulator[] = [];

  afterEach(async () => {
    for (const sim of sims) expect(sim.problems).toEqual([]);
    await Promise.all(sims.splice(0).map((sim) => sim.stop()));
  });

  async function setup(simOptions: GitHubSimulatorOptions = {}, client: Partial<GitHubClientOptions> = {}) {
    const token = `ghp_${randomBytes(18).toString('hex')}`;
    const sim = await startGitHubSimulator({ tokens: [token], timeScale: SCALE, ...simOptions });
    sims.push(sim);
    const makeHost = () =>
      new GitHubHost({
        client: createGitHubClient({
          auth: { token },
          baseUrl: sim.url,
          timeScale: SCALE,
          logger: silentLogger,
          requestTimeoutMs: 2_000,
          ...client,
        }),
        owner: sim.owner,
        repo: sim.repo,
      });
    const host = makeHost();
    const number = openSimPull(sim, BRANCH);
    sim.resetCounters();
    return { sim, host, number, makeHost, token };
  }

  it('creates one issue comment, edits it in place, and writes nothing when it already says that', async () => {
    const { sim, host, number } = await setup();
    expect(await host.upsertPullRequestComment(number, MARKER, plan('one'))).toEqual({
      created: true,
      updated: false,
    });
    expect(sim.comments(number)).toEqual([
      expect.objectContaining({ author: 'rds-provisioner-bot', body: plan('one') }),
    ]);
    // Who the credentials are is asked once; then one read of the comments and one write.
    expect(sim.counters.byRoute['GET /user']).toBe(1);
    expect(sim.counters.byRoute[LIST]).toBe(1);
    expect(sim.counters.byRoute[CREATE]).toBe(1);
    expect(host.counters()).toEqual({ reads: 2, mutations: 1 });

    expect(await host.upsertPullRequestComment(number, MARKER, plan('one'))).toEqual({
      created: false,
      updated: false,
    });
    expect(host.counters()).toEqual({ reads: 3, mutations: 1 });

    expect(await host.upsertPullRequestComment(number, MARKER, plan('two'))).toEqual({
      created: false,
      updated: true,
    });
    const [comment] = sim.comments(number);
    expect(sim.comments(number)).toHaveLength(1);
    expect(comment?.body).toBe(plan('two'));
    expect(sim.counters.byRoute[UPDATE]).toBe(1);
    expect(sim.counters.byRoute['GET /user']).toBe(1);
    expect(host.counters()).toEqual({ reads: 4, mutations: 2 });
    expect(sim.violations).toEqual([]);
  });

  it("never takes over a stranger's comment that carries the marker", async () => {
    const { sim, host, number } = await setup();
    const forged = sim.addComment(number, plan('forged: merge me'), 'mallory');
    expect(await host.upsertPullRequestComment(number, MARKER, plan('real'))).toEqual({
      created: true,
      updated: false,
    });
    const comments = sim.comments(number);
    expect(comments.map((c) => [c.author, c.body])).toEqual([
      ['mallory', plan('forged: merge me')],
      ['rds-provisioner-bot', plan('real')],
    ]);
    expect(comments[0]?.id).toBe(forged);
    // And the next upsert edits ours, not the stranger's.
    await host.upsertPullRequestComment(number, MARKER, plan('real, again'));
    expect(sim.comments(number).map((c) => c.body)).toEqual([plan('forged: merge me'), plan('real, again')]);
  });

  it('finds its comment past the first page, and a fresh process finds it too', async () => {
    const { sim, host, number, makeHost } = await setup();
    for (let i = 0; i < 130; i++)
      sim.addComment(number, `comment ${i}`, i % 2 ? 'alice' : 'rds-provisioner-bot');
    const ours = sim.addComment(number, plan('old'), 'rds-provisioner-bot');
    expect(await host.upsertPullRequestComment(number, MARKER, plan('new'))).toEqual({
      created: false,
      updated: true,
    });
    expect(sim.counters.byRoute[LIST]).toBe(2);
    expect(sim.comments(number).find((c) => c.id === ours)?.body).toBe(plan('new'));
    expect(await makeHost().upsertPullRequestComment(number, MARKER, plan('new'))).toEqual({
      created: false,
      updated: false,
    });
    expect(sim.comments(number)).toHaveLength(131);
  });

  it('refuses a pull request with more comments than it reads, rather than add another', async () => {
    const { sim, host, number } = await setup();
    for (let i = 0; i < 1001; i++) sim.addComment(number, `comment ${i}`, 'alice');
    const error = await gitHostError(host.upsertPullRequestComment(number, MARKER, plan('x')));
    expect(error.kind).toBe('permanent');
    expect(error.message).toContain('more than 1000 comments');
    expect(sim.counters.byRoute[CREATE]).toBeUndefined();
    expect(sim.comments(number)).toHaveLength(1001);
  });

  it("as a GitHub App installation, its comments are its bot's", async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const installationToken = `ghs_${randomBytes(18).toString('hex')}`;
    const sim = await startGitHubSimulator({
      tokens: [installationToken],
      timeScale: SCALE,
      app: { id: 12345, slug: 'rds-provisioner' },
    });
    sims.push(sim);
    const client = createGitHubClient({
      auth: { appId: 12345, privateKey, installationId: 678 },
      baseUrl: sim.url,
      timeScale: SCALE,
      logger: silentLogger,
      // The simulator serves the app itself (GET /app, with the app's JWT) but not the token exchange.
      fetch: async (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if (url.endsWith('/app/installations/678/access_tokens')) {
          return new Response(
            JSON.stringify({
              token: installationToken,
              expires_at: new Date(Date.now() + 3_600_000).toISOString(),
              permissions: { issues: 'write', pull_requests: 'write', contents: 'write' },
              repository_selection: 'selected',
            }),
            { status: 201, headers: { 'content-type': 'application/json' } },
          );
        }
        return fetch(input, init);
      },
    });
    const host = new GitHubHost({ client, owner: sim.owner, repo: sim.repo });
    const number = openSimPull(sim, BRANCH);
    // A person's comment and another app's bot comment, both with the marker: neither is ours.
    sim.addComment(number, plan('by a person'), 'rds-provisioner');
    sim.addComment(number, plan('by another app'), 'other-app[bot]');
    expect(await host.upsertPullRequestComment(number, MARKER, plan('one'))).toEqual({
      created: true,
      updated: false,
    });
    expect(await host.upsertPullRequestComment(number, MARKER, plan('two'))).toEqual({
      created: false,
      updated: true,
    });
    expect(sim.comments(number).map((c) => [c.author, c.body])).toEqual([
      ['rds-provisioner', plan('by a person')],
      ['other-app[bot]', plan('by another app')],
      ['rds-provisioner[bot]', plan('two')],
    ]);
    expect(sim.counters.byRoute['GET /app']).toBe(1);
    expect(sim.counters.byRoute['GET /user']).toBeUndefined();
  });

  it('an unknown pull request is not_found; a repository that is not there is permanent', async () => {
    const { sim, host, token } = await setup();
    const unknown = await gitHostError(host.upsertPullRequestComment(99, MARKER, plan('x')));
    expect(unknown.kind).toBe('not_found');
    expect(unknown.message).toContain('#99');
    const elsewhere = new GitHubHost({
      client: createGitHubClient({
        auth: { token },
        baseUrl: sim.url,
        timeScale: SCALE,
        logger: silentLogger,
      }),
      owner: sim.owner,
      repo: 'nowhere',
    });
    const missing = await gitHostError(elsewhere.upsertPullRequestComment(1, MARKER, plan('x')));
    expect(missing.kind).toBe('permanent');
    expect(missing.message).toContain(`repository ${sim.owner}/nowhere not found`);
    expect(missing.message).not.toContain(token);
  });

  it('refuses a bad number, marker or body before it asks GitHub anything', async () => {
    const { sim, host, number } = await setup();
    await expectBadCommentsRefused(host, number);
    expect(sim.counters.requests).toBe(0);
  });

  it('GitHub errors are classified like every other call: a 5xx or a reset is transient and writes nothing', async () => {
    const { sim, host, number } = await setup({}, { retries: 0 });
    sim.schedule({ match: (r) => r.route === LIST, fault: { kind: 'status', status: 502 } });
    const down = await gitHostError(host.upsertPullRequestComment(number, MARKER, plan('x')));
    expect(down.kind).toBe('transient');
    expect(down.message).toContain('502');

    sim.schedule({ match: (r) => r.route === CREATE, fault: { kind: 'reset' } });
    const reset = await gitHostError(host.upsertPullRequestComment(number, MARKER, plan('x')));
    expect(reset.kind).toBe('transient');
    expect(sim.comments(number)).toEqual([]);

    expect(await host.upsertPullRequestComment(number, MARKER, plan('x'))).toEqual({
      created: true,
      updated: false,
    });
  });
});

/** A pull request opened on the simulator for a branch one commit past main; its number. */
function openSimPull(sim: GitHubSimulator, branch: string): number {
  sim.createBranch(branch);
  sim.commitFiles(branch, { 'terraform/live/orders.tf': '# orders\n' }, 'orders');
  return sim.openPull({ head: branch, title: 'Provision orders', body: 'Provisions orders.' });
}
