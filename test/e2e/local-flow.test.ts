import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { runCli } from '../support/cli.js';
import { api, type RunningServer, startServer, waitFor } from '../support/server.js';

const { policy } = loadPolicyFile();
const git = (repo: string, ...args: string[]) =>
  execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
const branches = (repo: string) =>
  git(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads').split('\n').filter(Boolean).sort();

describe('local runtime over HTTP and the CLI', () => {
  let server: RunningServer;
  let call: ReturnType<typeof api>;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    server = await startServer();
    call = api(server);
    cliEnv = { RDS_PROVISIONER_URL: server.url, RDS_PROVISIONER_API_TOKEN: server.token };
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  const waitForStatus = (id: string, statuses: string[]) =>
    waitFor(
      () => call('GET', `/requests/${id}`),
      (r) => statuses.includes(r.json?.status),
    );

  it('serves health and the OpenAPI document without a token, and nothing else', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: { Preview: { properties: { file_path: { description: string } } } } };
    };
    expect(doc.openapi).toBe('3.1.0');
    // The dry run's file_path says that the layout decides it, naming both.
    expect(doc.components.schemas.Preview.properties.file_path.description).toMatch(
      /git\.layout.*terraform\/live\/\{environment\}\/\{db_name\}\/main\.tf.*terraform\/live\/\{db_name\}\.tf/,
    );
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/databases',
        '/databases/{db_name}',
        '/health',
        '/provision',
        '/pulls',
        '/pulls/{number}',
        '/pulls/{number}/close',
        '/pulls/{number}/merge',
        '/reports/apply',
        '/reports/drift',
        '/reports/plan',
        '/request-form',
        '/requests',
        '/requests/{id}',
        '/whoami',
        '/tokens',
        '/tokens/{id}',
        '/audit',
        '/auth/config',
      ].sort(),
    );
    for (const path of ['/requests', '/pulls', '/request-form']) {
      const none = await fetch(`${server.url}${path}`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await fetch(`${server.url}${path}`, {
        headers: { authorization: 'Bearer not-the-token' },
      });
      expect(wrong.status).toBe(401);
      // The reason, never the token.
      expect(await wrong.json()).toEqual({ error: 'unauthorized', message: 'the token is not valid' });
    }
    const body = { db_name: 'never', engine: 'mysql', environment: 'dev' };
    const unauthorized = await fetch(`${server.url}/provision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(unauthorized.status).toBe(401);
    expect(
      (await call('GET', '/requests')).json.requests.map((r: { db_name: string }) => r.db_name),
    ).not.toContain('never');
  });

  it('takes the original payload to pr_open, with exactly the rendered file on the branch, then to merged', async () => {
    const accepted = await call('POST', '/provision', {
      db_name: 'my-app-db',
      engine: 'mysql',
      environment: 'dev',
    });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toEqual({
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'queued',
      status_url: `${server.url}/requests/${accepted.json.request_id}`,
    });
    const id = accepted.json.request_id as string;
    const open = await waitForStatus(id, ['pr_open', 'failed']);
    expect(open.json).toMatchObject({
      status: 'pr_open',
      requester: 'admin',
      db_name: 'my-app-db',
      failure_reason: null,
    });
    expect(open.json.history.map((h: { status: string }) => h.status)).toEqual([
      'queued',
      'processing',
      'pr_open',
    ]);
    const pr = open.json.pull_request;
    expect(pr).toEqual({
      number: expect.any(Number),
      url: `${server.url}/#/pulls/${pr.number}`,
      branch: 'feature/provision-rds-my-app-db',
    });

    // The branch holds the rendered file and nothing else new.
    const spec = resolveRequest({ db_name: 'my-app-db', engine: 'mysql', environment: 'dev' }, policy, {
      requestId: id,
    });
    if (!spec.ok) throw new Error('unreachable');
    // The packaged policy's layout: a root of its own per database, beside the seeded shared backend file.
    const file = 'terraform/live/dev/my-app-db/main.tf';
    expect(git(server.repo, 'show', `${pr.branch}:${file}`)).toBe(renderTerraform(spec.value.spec));
    expect(git(server.repo, 'diff', '--name-only', `main...${pr.branch}`).trim()).toBe(file);
    expect(git(server.repo, 'ls-tree', '--name-only', 'main', 'terraform/live/').split('\n')).toContain(
      'terraform/live/backend.hcl',
    );
    expect(git(server.repo, 'rev-list', '--count', `main..${pr.branch}`).trim()).toBe('1');

    // Reviewed and merged through the CLI.
    const list = await runCli(['pr', 'list', '--json'], { env: cliEnv });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toContainEqual({
      number: pr.number,
      title: 'Provision mysql database my-app-db (dev)',
      branch: pr.branch,
      state: 'open',
      request_id: id,
    });
    const show = await runCli(['pr', 'show', String(pr.number)], { env: cliEnv });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`+++ b/${file}`);
    expect(show.stdout).toContain('+module "my-app-db" {');
    const merge = await runCli(['pr', 'merge', String(pr.number)], { env: cliEnv });
    expect(merge).toMatchObject({ code: 0, stderr: '' });
    expect(merge.stdout).toMatch(new RegExp(`^#${pr.number} merged into main \\([0-9a-f]{12}\\)\\n$`));
    expect(git(server.repo, 'show', `main:${file}`)).toBe(renderTerraform(spec.value.spec));
    expect(git(server.repo, 'rev-list', '--parents', '-n', '1', 'main').trim().split(' ')).toHaveLength(3);
    const merged = await call('GET', `/requests/${id}`);
    expect(merged.json.status).toBe('merged');
    expect(merged.json.history.at(-1)).toMatchObject({
      status: 'merged',
      detail: `pull request #${pr.number} merged`,
    });

    // The database now exists in the repository: a new request for it is a conflict naming the request.
    const again = await call('POST', '/provision', {
      db_name: 'my-app-db',
      engine: 'postgres',
      environment: 'dev',
    });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({
      error: 'conflict',
      request_id: id,
      message: `database my-app-db already exists: ${file} is on main`,
    });
    // A name is one database: in another environment too, the answer names the file that holds it, and
    // neither the dry run nor the request leaves anything behind.
    const requestsBefore = (await call('GET', '/requests')).json.requests.length;
    const branchesBefore = branches(server.repo);
    for (const path of ['/provision', '/provision?dry_run=true']) {
      const elsewhere = await call('POST', path, {
        db_name: 'my-app-db',
        engine: 'mysql',
        environment: 'staging',
      });
      expect(elsewhere.status).toBe(409);
      expect(elsewhere.json).toEqual({
        error: 'conflict',
        request_id: id,
        message: `database my-app-db already exists: ${file} is on main`,
      });
    }
    expect((await call('GET', '/requests')).json.requests).toHaveLength(requestsBefore);
    expect(branches(server.repo)).toEqual(branchesBefore);
    // Merging twice is refused and changes nothing.
    expect((await call('POST', `/pulls/${pr.number}/merge`)).status).toBe(409);
  });

  it('refuses a second request while the first is in flight, and accepts it again once closed', async () => {
    const first = await call('POST', '/provision', {
      db_name: 'orders',
      engine: 'postgres',
      environment: 'dev',
    });
    expect(first.status).toBe(202);
    const second = await call('POST', '/provision', {
      db_name: 'orders',
      engine: 'mysql',
      environment: 'staging',
    });
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ error: 'conflict', request_id: first.json.request_id });
    const open = await waitForStatus(first.json.request_id, ['pr_open']);
    const close = await runCli(['pr', 'close', String(open.json.pull_request.number)], { env: cliEnv });
    expect(close.code).toBe(0);
    expect((await call('GET', `/requests/${first.json.request_id}`)).json.status).toBe('closed');
    const third = await call('POST', '/provision', {
      db_name: 'orders',
      engine: 'postgres',
      environment: 'dev',
    });
    expect(third.status).toBe(202);
    const reopened = await waitForStatus(third.json.request_id, ['pr_open']);
    expect(reopened.json.pull_request.number).not.toBe(open.json.pull_request.number);
  });

  describe('bad input gets a 4xx naming the fields, and changes nothing', () => {
    const cases: Array<[string, unknown, string | undefined, number, string[]]> = [
      [
        'wrong types',
        { db_name: 5, engine: true, environment: [] },
        undefined,
        400,
        ['db_name', 'engine', 'environment'],
      ],
      [
        'unknown fields',
        { db_name: 'x1', engine: 'mysql', environment: 'dev', password: 'p', region: 'x' },
        undefined,
        400,
        ['password', 'region'],
      ],
      [
        'a bad name',
        { db_name: 'Bad--Name-', engine: 'mysql', environment: 'dev' },
        undefined,
        400,
        ['db_name'],
      ],
      [
        'a policy violation',
        { db_name: 'x2', engine: 'mysql', environment: 'prod', size: 'small' },
        undefined,
        400,
        ['owner', 'size'],
      ],
      [
        'mariadb on aurora',
        { db_name: 'x3', engine: 'mariadb', environment: 'dev', deployment: 'aurora' },
        undefined,
        400,
        ['deployment'],
      ],
      ['an array', [{ db_name: 'x4', engine: 'mysql', environment: 'dev' }], undefined, 400, ['(body)']],
      ['null', null, undefined, 400, ['(body)']],
      ['a string', 'db', undefined, 400, ['(body)']],
      ['broken JSON', '{"db_name": "x5",', undefined, 400, ['(body)']],
      ['an empty body', '', undefined, 400, ['(body)']],
      [
        'a body over 16 KiB',
        { db_name: 'x6', engine: 'mysql', environment: 'dev', owner: 'o'.repeat(17_000) },
        undefined,
        413,
        [],
      ],
      ['text/plain', '{"db_name":"x7","engine":"mysql","environment":"dev"}', 'text/plain', 415, []],
      ['form data', 'db_name=x8', 'application/x-www-form-urlencoded', 415, []],
    ];
    it.each(cases)('%s', async (_label, body, type, status, fields) => {
      const before = (await call('GET', '/requests?limit=200')).json.requests.length;
      const heads = branches(server.repo);
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const response = await fetch(`${server.url}/provision`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.token}`,
          ...(type ? { 'content-type': type } : { 'content-type': 'application/json' }),
        },
        body: raw,
      });
      expect(response.status).toBe(status);
      const json = (await response.json()) as {
        error: string;
        issues: Array<{ path: string; message: string }>;
      };
      if (status === 400) {
        expect(json.error).toBe('invalid_request');
        expect([...new Set(json.issues.map((i: { path: string }) => i.path))].sort()).toEqual(fields);
        for (const issue of json.issues) expect(issue.message.length).toBeGreaterThan(3);
      } else {
        expect(json.error).toBe(status === 413 ? 'payload_too_large' : 'unsupported_media_type');
      }
      expect(JSON.stringify(json)).not.toMatch(/\n\s+at |Error:/);
      expect((await call('GET', '/requests?limit=200')).json.requests.length).toBe(before);
      expect(branches(server.repo)).toEqual(heads);
    });

    it('answers 404 for an unknown request and 400 for bad list parameters', async () => {
      expect((await call('GET', '/requests/00000000-0000-7000-8000-000000000000')).status).toBe(404);
      const badStatus = await call('GET', '/requests?status=done');
      expect(badStatus.status).toBe(400);
      expect(badStatus.json.issues[0].path).toBe('status');
      expect((await call('GET', '/requests?limit=0')).status).toBe(400);
      expect((await call('GET', '/requests?cursor=nonsense')).status).toBe(400);
      expect((await call('GET', '/pulls/999999')).status).toBe(404);
    });
  });

  it('lists requests newest first, filtered by status, and pages with a cursor', async () => {
    const all = (await call('GET', '/requests?limit=200')).json.requests as Array<{
      created_at: string;
      status: string;
    }>;
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect([...all].sort((a, b) => b.created_at.localeCompare(a.created_at))).toEqual(all);
    const merged = await call('GET', '/requests?status=merged');
    expect(merged.json.requests.every((r: { status: string }) => r.status === 'merged')).toBe(true);
    const page1 = await call('GET', '/requests?limit=1');
    const page2 = await call('GET', `/requests?limit=1&cursor=${page1.json.next_cursor}`);
    expect(page2.json.requests[0].request_id).not.toBe(page1.json.requests[0].request_id);
  });

  it('follows a request from the CLI with --wait and reports each status', async () => {
    const run = await runCli(
      ['request', '--db-name', 'waited', '--engine', 'postgres', '--environment', 'staging', '--wait'],
      { env: cliEnv },
    );
    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/ pr_open$/);
    expect(lines[0]).toMatch(/ (queued|processing|pr_open)$/);
    expect(run.stdout).toMatch(
      /^[0-9a-f-]{36} {2}pr_open {2}waited \(postgres, staging\)\npull request #\d+: http:\/\/127\.0\.0\.1:\d+\/#\/pulls\/\d+\n/,
    );
    const id = run.stdout.slice(0, 36);
    const status = await runCli(['status', id], { env: cliEnv });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('  pr_open  pull request #');
    const listed = await runCli(['requests', '--status', 'pr_open', '--json'], { env: cliEnv });
    expect(JSON.parse(listed.stdout).map((r: { request_id: string }) => r.request_id)).toContain(id);
  });

  it('gives the CLI exit codes: 2 for invalid input, 3 for a conflict, 1 without a valid token', async () => {
    const bad = await runCli(['request', '--db-name', 'Bad', '--engine', 'mysql', '--environment', 'dev'], {
      env: cliEnv,
    });
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toContain('db_name: must start with a lowercase letter');
    const dup = await runCli(
      ['request', '--db-name', 'waited', '--engine', 'postgres', '--environment', 'staging'],
      { env: cliEnv },
    );
    expect(dup.code).toBe(3);
    expect(dup.stderr).toMatch(/^conflict: a request for database waited is still in flight/);
    const unauthorized = await runCli(['requests'], {
      env: { ...cliEnv, RDS_PROVISIONER_API_TOKEN: 'wrong' },
    });
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toContain('unauthorized');
    expect(unauthorized.stderr).not.toContain('wrong');
  });
});
