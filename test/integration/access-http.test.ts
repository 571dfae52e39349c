/**
 * Roles and the audit trail through the HTTP app (issue 15), in process on the real parts: SQLite
 * stores (status, queue, tokens, audit), the local git host on a real repository, the packaged policy
 * (prod: separate_duties). Callers authenticate with personal tokens from the SQLite token store
 * (TokenAuthenticator, the record read on every call). Each refusal is checked for its status and body, that nothing changed, and its entry in
 * the audit trail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureInfraRepository } from '../../src/adapters/local/git-infra-repository.js';
import { LocalGitHost } from '../../src/adapters/local/local-git-host.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteAuditLog } from '../../src/adapters/local/sqlite-audit-log.js';
import { SqliteIntake } from '../../src/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../../src/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../../src/adapters/local/sqlite-status-store.js';
import { SqliteTokenStore } from '../../src/adapters/local/sqlite-token-store.js';
import { TokenAuthenticator } from '../../src/adapters/local/token-auth.js';
import { newRequestId, silentLogger } from '../../src/adapters/system.js';
import type { AppContext } from '../../src/app/context.js';
import { createApp } from '../../src/app/http/app.js';
import { REFUSALS_RECORDED_PER_SECOND } from '../../src/app/http/refusal-budget.js';
import { processRequest } from '../../src/app/process-request.js';
import { reconcilePullRequests } from '../../src/app/reconcile-pull-requests.js';
import { newToken, newTokenId, tokenDigest } from '../../src/app/tokens.js';
import type { Role } from '../../src/domain/access.js';
import { type AuditEntry, withoutRole } from '../../src/ports.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { ManualClock } from '../support/manual-clock.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const policy = loadPolicyFile();
const AUTHOR = policy.policy.git.author;

let dir: string;
let db: SqliteDatabase;
let host: LocalGitHost;
let clock: ManualClock;
let ctx: AppContext;
let queue: SqliteQueue;
let tokens: SqliteTokenStore;
let app: ReturnType<typeof createApp>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rdsp-access-'));
  const repo = join(dir, 'infra');
  clock = new ManualClock();
  await ensureInfraRepository(repo, {
    sourceDir: ROOT,
    author: AUTHOR,
    layout: policy.policy.git.layout,
    now: clock.now(),
  });
  db = openDatabase(join(dir, 'rds-provisioner.db'));
  host = new LocalGitHost({ repository: repo, author: AUTHOR, db, clock, pullUrl: (n) => `/pulls/${n}` });
  const store = new SqliteStatusStore(db);
  queue = new SqliteQueue(db, clock);
  tokens = new SqliteTokenStore(db);
  ctx = {
    policy,
    conventions: policy.policy.git,
    store,
    intake: new SqliteIntake(store, queue),
    git: host,
    clock,
    logger: silentLogger,
    newRequestId: () => newRequestId(clock.now().getTime()),
    audit: new SqliteAuditLog(db),
  };
  app = createApp({ ctx, auth: new TokenAuthenticator(tokens), tokens, review: host });
});

afterEach(async () => {
  await host.dispose();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A personal token made straight in the store (as the first start makes the first admin's). */
async function mint(user: string, role: Role, environments: string[] | null = null): Promise<string> {
  const token = newToken();
  await tokens.create({
    id: newTokenId(),
    user,
    role,
    environments,
    digest: tokenDigest(token),
    createdAt: clock.now().toISOString(),
    createdBy: 'test',
    revokedAt: null,
    revokedBy: null,
  });
  return token;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely and assert on every field they use
type Json = any;

async function call(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  // A millisecond a call: the trail's ids (UUIDv7) order entries by their millisecond.
  clock.advance(1);
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await app.request(path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

/** Every entry of the trail, oldest first. */
async function trail(): Promise<AuditEntry[]> {
  return (await ctx.audit.list({ limit: 1000 })).entries.reverse();
}

const prodRequest = (dbName: string) => ({
  db_name: dbName,
  engine: 'postgres',
  environment: 'prod',
  owner: 'team-a',
});

/** A request accepted through the API and taken by the worker to an open pull request. */
async function openPullRequest(token: string, body: unknown): Promise<{ id: string; number: number }> {
  const accepted = await call('POST', '/provision', token, body);
  expect(accepted.status).toBe(202);
  const id = accepted.json.request_id as string;
  expect(await processRequest(ctx, id, 1)).toMatchObject({ status: 'pr_open' });
  return { id, number: (await ctx.store.get(id))?.pullRequest?.number as number };
}

describe('401: no valid credential', () => {
  it('answers 401 with the reason and records auth.refused (the claimed user for a revoked token)', async () => {
    expect(await call('GET', '/requests')).toEqual({
      status: 401,
      json: {
        error: 'unauthorized',
        message: 'a bearer token is required (Authorization: Bearer <token>)',
      },
    });
    const revoked = await mint('dave', 'approver');
    const record = (await tokens.list())[0];
    await tokens.revoke(record?.id as string, clock.now(), 'admin');
    const refused = await call('GET', '/requests', revoked);
    expect(refused).toEqual({
      status: 401,
      json: { error: 'unauthorized', message: 'the token was revoked' },
    });
    expect(JSON.stringify(refused.json)).not.toContain(revoked);
    const entries = await trail();
    expect(entries).toMatchObject([
      {
        actor: '(unauthenticated)',
        role: null,
        action: 'auth.refused',
        outcome: 'denied',
        target: 'GET /requests',
        detail: 'a bearer token is required (Authorization: Bearer <token>)',
      },
      {
        actor: 'dave',
        role: null,
        action: 'auth.refused',
        outcome: 'denied',
        detail: 'the token was revoked',
      },
    ]);
    expect(JSON.stringify(entries)).not.toContain(revoked);
  });

  it(`records at most ${REFUSALS_RECORDED_PER_SECOND} refusals a second; the rest are counted into the next entry`, async () => {
    for (let i = 0; i < 3 * REFUSALS_RECORDED_PER_SECOND; i++)
      expect((await call('GET', '/requests', `wrong-${i}`)).status).toBe(401);
    expect(await trail()).toHaveLength(REFUSALS_RECORDED_PER_SECOND);
    clock.advance(1000);
    expect((await call('GET', '/requests', 'wrong-again')).status).toBe(401);
    const entries = await trail();
    expect(entries).toHaveLength(REFUSALS_RECORDED_PER_SECOND + 1);
    expect(entries.at(-1)?.detail).toBe(
      `the token is not valid (and ${2 * REFUSALS_RECORDED_PER_SECOND} more refused before this one, not recorded one by one)`,
    );
  });
});

describe('403: a proved identity the policy gives no role', () => {
  it('is refused on every route by name (not 401), recorded in the audit', async () => {
    const arn = 'arn:aws:iam::123456789012:user/zed';
    app = createApp({ ctx, auth: { authenticate: async () => withoutRole(arn) }, tokens, review: host });
    const refused = await call('GET', '/requests');
    expect(refused).toEqual({
      status: 403,
      json: { error: 'forbidden', message: expect.stringContaining(arn) },
    });
    expect(refused.json.message).toContain('access.default_role is null');
    expect((await call('POST', '/provision', undefined, prodRequest('ledger'))).status).toBe(403);
    expect((await ctx.store.list({ limit: 10 })).records).toEqual([]);
    expect((await trail()).map((e) => [e.actor, e.role, e.action, e.outcome, e.target])).toEqual([
      [arn, null, 'auth.refused', 'denied', 'GET /requests'],
      [arn, null, 'auth.refused', 'denied', 'POST /provision'],
    ]);
  });
});

describe('POST /provision: permission first', () => {
  it('a requester scoped to dev asking for a prod database: 403 naming the rule, nothing queued, the refusal audited', async () => {
    const carol = await mint('carol', 'requester', ['dev']);
    for (const query of ['', '?dry_run=true']) {
      const refused = await call('POST', `/provision${query}`, carol, prodRequest('ledger'));
      expect(refused.status).toBe(403);
      expect(refused.json).toEqual({ error: 'forbidden', message: expect.stringContaining('dev') });
      expect(refused.json.message).toContain('in prod carol may only read');
    }
    // A body with other problems too: still 403 (fixing the body would not help).
    const alsoBad = await call('POST', '/provision', carol, {
      ...prodRequest('ledger'),
      engine: 'oracle',
      extra: 1,
    });
    expect(alsoBad.status).toBe(403);
    // Where carol may ask, the same bad body is judged: 400 naming each field.
    const bad = await call('POST', '/provision', carol, {
      db_name: 'ledger',
      engine: 'oracle',
      environment: 'dev',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.issues.map((i: { path: string }) => i.path)).toEqual(['engine']);
    expect((await ctx.store.list({ limit: 10 })).records).toEqual([]);
    expect(await queue.receive(10, 1000)).toEqual([]);
    const entries = await trail();
    expect(entries).toHaveLength(3);
    for (const entry of entries)
      expect(entry).toMatchObject({
        actor: 'carol',
        role: 'requester',
        action: 'request.create',
        outcome: 'denied',
        target: 'db:ledger',
        environment: 'prod',
      });
  });

  it('an accepted request is recorded with its id', async () => {
    const alice = await mint('alice', 'requester');
    const accepted = await call('POST', '/provision', alice, {
      db_name: 'orders',
      engine: 'mysql',
      environment: 'dev',
    });
    expect(accepted.status).toBe(202);
    expect(await trail()).toMatchObject([
      {
        actor: 'alice',
        role: 'requester',
        action: 'request.create',
        outcome: 'allowed',
        target: accepted.json.request_id,
        environment: 'dev',
      },
    ]);
  });
});

describe('merging and closing on the local git host', () => {
  it('a requester merging: 403, nothing merged, audited; an approver merges, audited once (a restart replays nothing into the trail)', async () => {
    const alice = await mint('alice', 'requester');
    const bob = await mint('bob', 'approver');
    const { id, number } = await openPullRequest(alice, {
      db_name: 'orders',
      engine: 'mysql',
      environment: 'dev',
    });
    const refused = await call('POST', `/pulls/${number}/merge`, alice);
    expect(refused).toEqual({
      status: 403,
      json: {
        error: 'forbidden',
        message:
          'in dev a requester cannot merge a pull request (environments.dev.access.merge allows approver, admin)',
      },
    });
    expect((await host.get(number))?.state).toBe('open');
    expect((await ctx.store.get(id))?.status).toBe('pr_open');

    expect((await call('POST', `/pulls/${number}/merge`, bob)).status).toBe(200);
    expect((await ctx.store.get(id))?.status).toBe('merged');
    await reconcilePullRequests(ctx, host);
    expect((await trail()).slice(1)).toMatchObject([
      {
        actor: 'alice',
        role: 'requester',
        action: 'pull.merge',
        outcome: 'denied',
        target: `pull:${number}`,
        environment: 'dev',
        detail: refused.json.message,
      },
      {
        actor: 'bob',
        role: 'approver',
        action: 'pull.merge',
        outcome: 'allowed',
        target: `pull:${number}`,
        environment: 'dev',
        detail: `request ${id}`,
      },
    ]);
  });

  it('an approver merging their own prod request: 403 (separate_duties); another approver may; a dev-scoped approver may not', async () => {
    const alice = await mint('alice', 'approver');
    const erin = await mint('erin', 'approver', ['dev']);
    const bob = await mint('bob', 'approver');
    const { id, number } = await openPullRequest(alice, prodRequest('ledger'));
    expect(await call('POST', `/pulls/${number}/merge`, alice)).toEqual({
      status: 403,
      json: {
        error: 'forbidden',
        message:
          'in prod whoever asked for a database cannot merge its pull request (environments.prod.access.separate_duties)',
      },
    });
    const scoped = await call('POST', `/pulls/${number}/merge`, erin);
    expect(scoped.status).toBe(403);
    expect(scoped.json.message).toContain('in prod erin may only read');
    expect((await host.get(number))?.state).toBe('open');
    expect((await ctx.store.get(id))?.status).toBe('pr_open');

    expect((await call('POST', `/pulls/${number}/merge`, bob)).status).toBe(200);
    expect(
      (await trail())
        .filter((e) => e.action === 'pull.merge')
        .map((e) => [e.actor, e.outcome, e.environment]),
    ).toEqual([
      ['alice', 'denied', 'prod'],
      ['erin', 'denied', 'prod'],
      ['bob', 'allowed', 'prod'],
    ]);
  });

  it('whoever asked may close their own pull request; a requester may not close someone else’s', async () => {
    const alice = await mint('alice', 'requester');
    const carol = await mint('carol', 'requester');
    const { id, number } = await openPullRequest(alice, {
      db_name: 'orders',
      engine: 'mysql',
      environment: 'dev',
    });
    const refused = await call('POST', `/pulls/${number}/close`, carol);
    expect(refused.status).toBe(403);
    expect(refused.json.message).toContain("cannot close someone else's pull request");
    expect((await host.get(number))?.state).toBe('open');
    expect((await call('POST', `/pulls/${number}/close`, alice)).status).toBe(200);
    expect((await ctx.store.get(id))?.status).toBe('closed');
    expect(
      (await trail()).filter((e) => e.action === 'pull.close').map((e) => [e.actor, e.outcome, e.target]),
    ).toEqual([
      ['carol', 'denied', `pull:${number}`],
      ['alice', 'allowed', `pull:${number}`],
    ]);
  });
});

describe('a pull request that names no request the service knows', () => {
  it('takes the merge roles in every environment: an approver scoped to dev is refused, an admin merges', async () => {
    const erin = await mint('erin', 'approver', ['dev']);
    const root = await mint('root', 'admin');
    const branch = 'feature/by-hand';
    const main = (await host.headOf('main')) as string;
    await host.ensureBranch(branch, main);
    await host.ensureFile({
      branch,
      path: 'terraform/live/by-hand.tf',
      content: '# by hand\n',
      message: 'by hand',
    });
    const { number } = await host.ensurePullRequest({
      branch,
      base: 'main',
      title: 'By hand',
      body: 'made by hand',
      requestId: newRequestId(),
    });
    const refused = await call('POST', `/pulls/${number}/merge`, erin);
    expect(refused.status).toBe(403);
    expect(refused.json.message).toBe(
      `pull request #${number} names no request this service knows, so it may change any environment and takes the merge roles in each: erin's approver role holds in dev only; in staging erin may only read`,
    );
    expect((await host.get(number))?.state).toBe('open');
    expect((await call('POST', `/pulls/${number}/merge`, root)).status).toBe(200);
    expect((await trail()).map((e) => [e.actor, e.action, e.outcome, e.target, e.environment])).toEqual([
      ['erin', 'pull.merge', 'denied', `pull:${number}`, null],
      ['root', 'pull.merge', 'allowed', `pull:${number}`, null],
    ]);
  });
});

describe('PATCH and DELETE /databases/{name}', () => {
  it('a requester scoped to dev changing or retiring a prod database: 403, nothing queued, audited', async () => {
    const alice = await mint('alice', 'requester');
    const bob = await mint('bob', 'approver');
    const carol = await mint('carol', 'requester', ['dev']);
    const { number } = await openPullRequest(alice, prodRequest('ledger'));
    expect((await call('POST', `/pulls/${number}/merge`, bob)).status).toBe(200);
    const before = (await ctx.store.list({ limit: 10 })).records;
    const queued = await queue.receive(10, 1000);
    for (const q of queued) await queue.ack(q.receipt);

    const change = await call('PATCH', '/databases/ledger', carol, { size: 'large', bogus: true });
    expect(change.status).toBe(403);
    expect(change.json.message).toContain('in prod carol may only read');
    const retire = await call('DELETE', '/databases/ledger', carol);
    expect(retire.status).toBe(403);
    const dryRun = await call('DELETE', '/databases/ledger?dry_run=true', carol);
    expect(dryRun.status).toBe(403);
    expect((await ctx.store.list({ limit: 10 })).records).toEqual(before);
    expect(await queue.receive(10, 1000)).toEqual([]);
    expect(
      (await trail())
        .filter((e) => e.actor === 'carol')
        .map((e) => [e.action, e.outcome, e.target, e.environment]),
    ).toEqual([
      ['request.change', 'denied', 'db:ledger', 'prod'],
      ['request.retire', 'denied', 'db:ledger', 'prod'],
      ['request.retire', 'denied', 'db:ledger', 'prod'],
    ]);
  });
});

describe('/tokens', () => {
  it('an admin makes a token (shown once, audited without it), lists and revokes it; the token is refused at once', async () => {
    const admin = await mint('root', 'admin');
    const created = await call('POST', '/tokens', admin, {
      user: 'alice',
      role: 'requester',
      environments: ['dev'],
    });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      token: expect.stringMatching(/^rdsp_[A-Za-z0-9_-]{43}$/),
      id: expect.stringMatching(/^tok_[A-Za-z0-9_-]{16}$/),
      user: 'alice',
      role: 'requester',
      environments: ['dev'],
      created_at: clock.now().toISOString(),
    });
    const { token, id } = created.json;
    expect((await call('GET', '/whoami', token)).json).toMatchObject({
      id: 'alice',
      role: 'requester',
      environments: ['dev'],
      via: 'token',
    });
    const listed = await call('GET', '/tokens', admin);
    expect(listed.json.tokens.find((t: { id: string }) => t.id === id)).toEqual({
      id,
      user: 'alice',
      role: 'requester',
      environments: ['dev'],
      created_at: created.json.created_at,
      created_by: 'root',
      revoked_at: null,
      revoked_by: null,
    });
    expect(JSON.stringify(listed.json)).not.toContain(tokenDigest(token));
    const revoked = await call('DELETE', `/tokens/${id}`, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ id, revoked_by: 'root', revoked_at: expect.any(String) });
    clock.advance(5000);
    expect(await call('DELETE', `/tokens/${id}`, admin)).toEqual(revoked);
    expect((await call('GET', '/whoami', token)).status).toBe(401);
    const entries = await trail();
    expect(entries.filter((e) => e.action.startsWith('token.'))).toMatchObject([
      {
        actor: 'root',
        role: 'admin',
        action: 'token.create',
        outcome: 'allowed',
        target: id,
        detail: 'user alice, role requester, in dev',
      },
      {
        actor: 'root',
        role: 'admin',
        action: 'token.revoke',
        outcome: 'allowed',
        target: id,
        detail: 'user alice, role requester, in dev',
      },
    ]);
    expect(JSON.stringify(entries)).not.toContain(token);
  });

  it('an unknown role, a bad user or an unknown environment: 400 naming each; nothing made', async () => {
    const admin = await mint('root', 'admin');
    const before = await tokens.list();
    expect(await call('POST', '/tokens', admin, { user: 'alice', role: 'superuser' })).toEqual({
      status: 400,
      json: {
        error: 'invalid_request',
        issues: [
          { path: 'role', message: 'unknown role "superuser": one of requester, approver, admin, pipeline' },
        ],
      },
    });
    const bad = await call('POST', '/tokens', admin, { user: 'github:alice', role: 'requester', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.json.issues.map((i: { path: string }) => i.path).sort()).toEqual(['extra', 'user']);
    expect(
      await call('POST', '/tokens', admin, { user: 'alice', role: 'requester', environments: ['qa'] }),
    ).toEqual({
      status: 400,
      json: {
        error: 'invalid_request',
        issues: [
          {
            path: 'environments.0',
            message: '"qa" is not an environment of the policy (dev, staging, prod)',
          },
        ],
      },
    });
    expect(await tokens.list()).toEqual(before);
    expect(await trail()).toEqual([]);
  });

  it('an admin revoking the token they call with: 400 naming id, still valid, nothing recorded', async () => {
    const admin = await mint('root', 'admin');
    const own = (await tokens.list())[0]?.id as string;
    expect(await call('DELETE', `/tokens/${own}`, admin)).toEqual({
      status: 400,
      json: {
        error: 'invalid_request',
        issues: [
          {
            path: 'id',
            message:
              "is the token this call is made with: revoke it with another admin's token (or give the server a new first-start token)",
          },
        ],
      },
    });
    expect((await tokens.get(own))?.revokedAt).toBeNull();
    expect((await call('GET', '/whoami', admin)).status).toBe(200);
    expect(await trail()).toEqual([]);
  });

  it('a non-admin: 403 on every token route, whatever the body; audited', async () => {
    const bob = await mint('bob', 'approver');
    const before = await tokens.list();
    const create = await call('POST', '/tokens', bob, { user: 'bob', role: 'superuser' });
    expect(create.status).toBe(403);
    expect(create.json).toEqual({ error: 'forbidden', message: expect.stringContaining('admin') });
    expect((await call('GET', '/tokens', bob)).status).toBe(403);
    expect((await call('DELETE', `/tokens/${before[0]?.id}`, bob)).status).toBe(403);
    expect(await tokens.list()).toEqual(before);
    expect((await trail()).map((e) => [e.actor, e.action, e.outcome, e.target])).toEqual([
      ['bob', 'token.create', 'denied', null],
      ['bob', 'auth.refused', 'denied', 'GET /tokens'],
      ['bob', 'token.revoke', 'denied', before[0]?.id],
    ]);
  });

  it('is not served without a token store (the Lambda API)', async () => {
    app = createApp({ ctx, auth: new TokenAuthenticator(tokens) });
    const admin = await mint('root', 'admin');
    expect((await call('GET', '/tokens', admin)).status).toBe(404);
    expect((await call('GET', '/whoami', admin)).status).toBe(200);
  });
});

describe('GET /audit and GET /whoami', () => {
  it('approvers read the trail, filtered and paged; a requester is refused (audited); bad parameters 400', async () => {
    const alice = await mint('alice', 'requester');
    const bob = await mint('bob', 'approver');
    expect((await call('GET', '/audit', alice)).status).toBe(403);
    await call('GET', '/requests', 'wrong');
    clock.advance(1000);
    const later = clock.now().toISOString();
    await call('GET', '/requests');
    const all = await call('GET', '/audit?limit=2', bob);
    expect(all.status).toBe(200);
    expect(all.json.entries.map((e: { actor: string }) => e.actor)).toEqual([
      '(unauthenticated)',
      '(unauthenticated)',
    ]);
    const next = await call('GET', `/audit?limit=2&cursor=${all.json.next_cursor}`, bob);
    expect(next.json).toMatchObject({
      entries: [
        {
          actor: 'alice',
          role: 'requester',
          action: 'auth.refused',
          outcome: 'denied',
          target: 'GET /audit',
        },
      ],
      next_cursor: null,
    });
    const filtered = await call(
      'GET',
      `/audit?actor=alice&outcome=denied&until=${encodeURIComponent(clock.now().toISOString())}`,
      bob,
    );
    expect(filtered.json.entries).toMatchObject([{ actor: 'alice' }]);
    const since = await call('GET', `/audit?since=${encodeURIComponent(later)}`, bob);
    expect(since.json.entries).toHaveLength(1);
    for (const [query, path] of [
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['since=yesterday', 'since'],
      ['action=request.delete', 'action'],
    ]) {
      const bad = await call('GET', `/audit?${query}`, bob);
      expect(bad.status, query).toBe(400);
      expect(bad.json.issues[0].path, query).toBe(path);
    }
  });

  it('whoami answers who you are and what you may do', async () => {
    const erin = await mint('erin', 'approver', ['dev']);
    const me = await call('GET', '/whoami', erin);
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({
      id: 'erin',
      role: 'approver',
      environments: ['dev'],
      via: 'token',
      capabilities: {
        service: { read: true, report: false, manage_tokens: false, read_audit: true },
        environments: {
          dev: { request: true, change: true, retire: true, merge: true, close: true },
          prod: { request: false, merge: false },
        },
      },
    });
  });
});
