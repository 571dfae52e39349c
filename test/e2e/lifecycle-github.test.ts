import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { closedPullRequestEvent } from '../support/github-webhooks.js';
import { api, type RunningServer, startServer, waitFor } from '../support/server.js';

const TOKEN = 'ghp_simulatedTokenForTheLifecycle0123456789ab';
const WEBHOOK_SECRET = 'whsec-for-the-lifecycle-test';

/** A database's whole life against GitHub (the simulator): create → change → change → retire → create again. */
describe('serve --github: a database for its whole life', () => {
  let sim: GitHubSimulator;
  let server: RunningServer;
  let call: ReturnType<typeof api>;
  const file = 'terraform/live/prod/payments/main.tf';

  beforeAll(async () => {
    sim = await startGitHubSimulator({
      owner: 'acme',
      repo: 'infra',
      tokens: [TOKEN],
      pathPrefix: '/api/v3',
    });
    server = await startServer({
      args: ['--github', 'acme/infra', '--workers', '1'],
      env: { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: sim.url, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
    call = api(server);
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.stop();
  });

  const webhook = async (payload: unknown) => {
    const body = JSON.stringify(payload);
    const response = await fetch(`${server.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
      },
      body,
    });
    return response.status;
  };

  /** Waits for the request's pull request at a step, merges it on GitHub and delivers the webhook. */
  async function mergeOpen(id: string, step = 1) {
    const open = await waitFor(
      () => call('GET', `/requests/${id}`),
      (r) => (r.json?.status === 'pr_open' && r.json?.step === step) || r.json?.status === 'failed',
      60_000,
    );
    expect(open.json).toMatchObject({ status: 'pr_open', step });
    const merged = sim.mergePull(open.json.pull_request.number);
    expect(await webhook(closedPullRequestEvent('acme/infra', merged))).toBe(200);
    return merged;
  }

  it('creates, changes twice, retires a protected prod database in two steps, and creates the name again', async () => {
    const created = await call('POST', '/provision', {
      db_name: 'payments',
      engine: 'postgres',
      environment: 'prod',
      owner: 'team-payments',
    });
    expect(created.status).toBe(202);
    await mergeOpen(created.json.request_id);
    expect(sim.file(file, 'main')).toContain(`request ${created.json.request_id}.`);
    expect((await call('GET', '/databases?environment=prod')).json.databases).toEqual([
      expect.objectContaining({ db_name: 'payments', managed: 'generated', size: 'medium', instances: 2 }),
    ]);

    const change1 = await call('PATCH', '/databases/payments', { size: 'large' });
    expect(change1.status).toBe(202);
    const pr1 = await mergeOpen(change1.json.request_id);
    expect(pr1.title).toMatch(/^Change postgres database payments \(prod\)/);
    expect(sim.file(file, 'main')).toContain('db.r7g.xlarge');

    const change2 = await call('PATCH', '/databases/payments', { instances: 3 });
    expect(change2.status).toBe(202);
    await mergeOpen(change2.json.request_id);
    await waitFor(
      () => call('GET', `/requests/${change2.json.request_id}`),
      (r) => r.json?.status === 'merged',
    );
    expect((await call('GET', '/databases/payments')).json).toMatchObject({ size: 'large', instances: 3 });

    const retire = await call('DELETE', '/databases/payments');
    expect(retire.status).toBe(202);
    const rid = retire.json.request_id as string;
    const step1 = await mergeOpen(rid, 1);
    expect(step1.head.ref).toMatch(/-unprotect$/);
    expect(sim.file(file, 'main')).toContain('deletion_protection          = false');
    const step2 = await mergeOpen(rid, 2);
    expect(step2.body).toContain('[!CAUTION]');
    const done = await waitFor(
      () => call('GET', `/requests/${rid}`),
      (r) => r.json?.status === 'merged',
    );
    expect(done.json).toMatchObject({ kind: 'retire', step: 2 });
    expect(sim.file(file, 'main')).toBeUndefined();
    expect((await call('GET', '/databases/payments')).status).toBe(404);

    const again = await call('POST', '/provision', {
      db_name: 'payments',
      engine: 'mysql',
      environment: 'dev',
    });
    expect(again.status).toBe(202);
    await mergeOpen(again.json.request_id);
    expect((await call('GET', '/databases')).json.databases).toEqual([
      expect.objectContaining({ db_name: 'payments', environment: 'dev', engine: 'mysql' }),
    ]);
    expect(sim.problems).toEqual([]);
    expect(sim.violations).toEqual([]);
    expect(server.output.join('\n')).not.toContain(TOKEN);
  });
});
