import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { api, startServer, tempDir, waitFor } from '../support/server.js';

describe('the API token and the requester', () => {
  it('generates a token on first start, keeps it with mode 0600, shows it once, and records the requester', async () => {
    const dataDir = tempDir('token');
    const env = { RDS_PROVISIONER_API_TOKEN: '', RDS_PROVISIONER_API_USER: 'alice@example.com' };
    const first = await startServer({ dataDir, token: '', env });
    const file = join(dataDir, 'api-token');
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.output.filter((line) => line.includes(token))).toEqual([
      `API token (shown once; kept in ${file}): ${token}`,
    ]);

    const call = api({ url: first.url, token });
    const accepted = await call('POST', '/provision', {
      db_name: 'audited',
      engine: 'mysql',
      environment: 'dev',
    });
    expect(accepted.status).toBe(202);
    const open = await waitFor(
      () => call('GET', `/requests/${accepted.json.request_id}`),
      (r) => r.json.status === 'pr_open',
    );
    expect(open.json.requester).toBe('alice@example.com');
    const pr = await call('GET', `/pulls/${open.json.pull_request.number}`);
    expect(pr.json.body).toContain('- Requested by: `alice@example.com`');
    // The token appears in no log line but the one-time notice.
    expect(first.output.filter((line) => line.includes(token))).toHaveLength(1);
    expect(await first.stop()).toBe(0);

    const second = await startServer({ dataDir, token: '', env });
    expect(second.output.join('\n')).not.toContain(token);
    expect((await api({ url: second.url, token })('GET', '/requests')).status).toBe(200);
    expect((await api({ url: second.url, token: 'x' })('GET', '/requests')).status).toBe(401);
    // Ctrl-C shuts down as cleanly as SIGTERM.
    const exited = new Promise((resolve) => second.process.once('exit', resolve));
    second.process.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(second.output.some((line) => line.includes('"stopped"'))).toBe(true);
  });
});

describe('a request that fails', () => {
  it('ends failed with its reason, and the CLI exits 4', async () => {
    // A repository without the base branch: the worker cannot start the branch and fails for good.
    const dataDir = tempDir('fail');
    const repo = join(dataDir, 'empty.git');
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch', 'trunk', repo]);
    const server = await startServer({ dataDir, repo });
    const env = { RDS_PROVISIONER_URL: server.url, RDS_PROVISIONER_API_TOKEN: server.token };
    const run = await runCli(
      ['request', '--db-name', 'doomed', '--engine', 'postgres', '--environment', 'dev', '--wait'],
      { env },
    );
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('failed: the base branch main does not exist');
    const id = run.stdout.slice(0, 36);
    const status = await runCli(['status', id], { env });
    expect(status.code).toBe(4);
    expect(status.stdout).toMatch(/ {2}failed {2}the base branch main does not exist/);
    expect(await server.stop()).toBe(0);
  });
});
