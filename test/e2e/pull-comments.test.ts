/**
 * The local pull request view keeps the service's comments: once a comment (the plan CI reported) is on a
 * pull request, GET /pulls/{number} answers it and `rds-provisioner pr show N` prints it after the body and
 * before the diff. The comment is written the way the server writes it, through the local git host on the
 * server's own database and repository (another process on the same files, as SQLite allows).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalGitHost } from '../../src/adapters/local/local-git-host.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { runCli } from '../support/cli.js';
import { api, type RunningServer, startServer, waitFor } from '../support/server.js';

const MARKER = '<!-- rds-provisioner:plan -->';

describe('the local pull request view: the service comments', () => {
  let server: RunningServer;
  let call: ReturnType<typeof api>;
  let db: SqliteDatabase;
  let host: LocalGitHost;
  let number: number;

  beforeAll(async () => {
    server = await startServer();
    call = api(server);
    const accepted = await call('POST', '/provision', {
      db_name: 'pull-comments',
      engine: 'postgres',
      environment: 'dev',
    });
    expect(accepted.status).toBe(202);
    const open = await waitFor(
      () => call('GET', `/requests/${accepted.json.request_id}`),
      (r) => ['pr_open', 'failed'].includes(r.json?.status),
    );
    expect(open.json.status).toBe('pr_open');
    number = open.json.pull_request.number;
    db = openDatabase(join(server.dataDir, 'rds-provisioner.db'));
    host = new LocalGitHost({
      repository: server.repo,
      author: { name: 'rds-provisioner', email: 'rds-provisioner@example.com' },
      db,
      clock: { now: () => new Date() },
      pullUrl: (n) => `${server.url}/#/pulls/${n}`,
    });
  });
  afterAll(async () => {
    await host?.dispose();
    db?.close();
    expect(await server.stop()).toBe(0);
  });

  it('GET /pulls/{number} answers no comments, then the plan comment, edited in place', async () => {
    expect((await call('GET', `/pulls/${number}`)).json.comments).toEqual([]);

    await host.upsertPullRequestComment(number, MARKER, `${MARKER}\n### Terraform plan at 0123456789ab\n`);
    await host.upsertPullRequestComment(number, MARKER, `${MARKER}\n### Terraform plan at fedcba987654\n`);
    const shown = await call('GET', `/pulls/${number}`);
    expect(shown.status).toBe(200);
    expect(shown.json.comments).toEqual([
      {
        marker: MARKER,
        body: `${MARKER}\n### Terraform plan at fedcba987654\n`,
        updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    ]);
    // The list stays light: comments only with one pull request.
    const list = await call('GET', '/pulls');
    expect(list.json.pull_requests[0]).not.toHaveProperty('comments');
  });

  it('`pr show N` prints the body, then the comment without its hidden marker, then the diff', async () => {
    await host.upsertPullRequestComment(number, MARKER, `${MARKER}\n### Terraform plan at fedcba987654\n`);
    const cliEnv = { RDS_PROVISIONER_URL: server.url, RDS_PROVISIONER_API_TOKEN: server.token };
    const show = await runCli(['pr', 'show', String(number)], { env: cliEnv });
    expect(show).toMatchObject({ code: 0, stderr: '' });
    const out = show.stdout;
    const body = out.indexOf('Provisions');
    const comment = out.indexOf('### Terraform plan at fedcba987654');
    const diff = out.indexOf('diff --git');
    expect(body).toBeGreaterThan(0);
    expect(comment).toBeGreaterThan(body);
    expect(diff).toBeGreaterThan(comment);
    expect(out).not.toContain('<!--');
    expect(out).toMatch(
      /\nComment \(rds-provisioner:plan\), updated \d{4}-\d\d-\d\dT[\d:.]+Z:\n### Terraform plan/,
    );
  });
});
