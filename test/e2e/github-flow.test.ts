import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { closedPullRequestEvent, completedCheckRunEvent } from '../support/github-webhooks.js';
import { api, type RunningServer, startServer, waitFor } from '../support/server.js';

const { policy } = loadPolicyFile();
const TOKEN = 'ghp_simulatedTokenThatMustNeverLeak0123456789';
const WEBHOOK_SECRET = 'whsec-for-the-github-flow-test';

/** The local runtime against GitHub (the simulator, as GitHub Enterprise Server at /api/v3), end to end. */
describe('serve --github: the whole loop against GitHub', () => {
  let sim: GitHubSimulator;
  let server: RunningServer;
  let call: ReturnType<typeof api>;

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

  const webhook = async (event: string, payload: unknown, secret = WEBHOOK_SECRET) => {
    const body = JSON.stringify(payload);
    const response = await fetch(`${server.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-hub-signature-256': await sign(secret, body),
      },
      body,
    });
    return response.status;
  };

  it('opens one pull request with exactly the rendered file, then follows the merge through the webhook', async () => {
    const input = { db_name: 'payments', engine: 'postgres', environment: 'prod', owner: 'team-payments' };
    const accepted = await call('POST', '/provision', input);
    expect(accepted.status).toBe(202);
    const id = accepted.json.request_id as string;
    const open = await waitFor(
      () => call('GET', `/requests/${id}`),
      (r) => ['pr_open', 'failed'].includes(r.json.status),
      60_000,
    );
    expect(open.json.status).toBe('pr_open');

    const spec = resolveRequest(input, policy, { requestId: id });
    if (!spec.ok) throw new Error('unreachable');
    // The packaged policy's layout: the database's own root, its file the only change on the branch.
    const file = 'terraform/live/prod/payments/main.tf';
    expect(sim.file(file, 'feature/provision-rds-payments')).toBe(renderTerraform(spec.value.spec));
    const [onMain, onBranch] = [sim.files('main'), sim.files('feature/provision-rds-payments')];
    expect(Object.keys(onBranch).filter((path) => onBranch[path] !== onMain[path])).toEqual([file]);
    const pulls = sim.pulls().filter((p) => p.head.ref === 'feature/provision-rds-payments');
    expect(pulls).toHaveLength(1);
    const pr = pulls[0];
    expect(pr).toMatchObject({
      title: 'Provision postgres database payments (prod)',
      state: 'open',
      base: { ref: 'main' },
    });
    // The default policy sets no labels: three mutations per request.
    expect(pr?.labels).toEqual([]);
    expect(pr?.body).toContain(`<!-- rds-provisioner request-id: ${id} -->`);
    expect(open.json.pull_request).toEqual({
      number: pr?.number,
      url: pr?.html_url,
      branch: 'feature/provision-rds-payments',
    });
    expect(sim.problems).toEqual([]);
    expect(sim.violations).toEqual([]);

    // The plan's check run lands in the history; a forged delivery changes nothing.
    const run = completedCheckRunEvent('acme/infra', {
      id: 77,
      name: 'terraform plan',
      conclusion: 'success',
      headBranch: pr?.head.ref as string,
    });
    expect(await webhook('check_run', run)).toBe(200);
    const merged = sim.mergePull(pr?.number as number);
    const event = closedPullRequestEvent('acme/infra', merged);
    expect(await webhook('pull_request', event, 'not-the-secret')).toBe(401);
    expect((await call('GET', `/requests/${id}`)).json.status).toBe('pr_open');
    expect(await webhook('pull_request', event)).toBe(200);
    const done = await call('GET', `/requests/${id}`);
    expect(done.json.status).toBe('merged');
    expect(done.json.history.map((h: { detail?: string }) => h.detail)).toContain(
      'check run "terraform plan" #77 completed: success',
    );
    expect(await webhook('pull_request', event)).toBe(200);
    expect((await call('GET', `/requests/${id}`)).json.history).toEqual(done.json.history);

    // Merged on GitHub: a new request for the same database is a conflict, in any environment (a name is
    // one database), naming the file that holds it; the dry run answers the same, and nothing is recorded.
    const requestsBefore = (await call('GET', '/requests')).json.requests.length;
    const pullsBefore = sim.pulls().length;
    for (const [path, body] of [
      ['/provision', input],
      ['/provision', { db_name: 'payments', engine: 'mysql', environment: 'dev' }],
      ['/provision?dry_run=true', { db_name: 'payments', engine: 'mysql', environment: 'staging' }],
    ] as const) {
      const again = await call('POST', path, body);
      expect(again.status).toBe(409);
      expect(again.json).toEqual({
        error: 'conflict',
        request_id: id,
        message: `database payments already exists: ${file} is on main`,
      });
    }
    expect((await call('GET', '/requests')).json.requests).toHaveLength(requestsBefore);
    expect(sim.pulls()).toHaveLength(pullsBefore);
    expect(server.output.join('\n')).not.toContain(TOKEN);
  });
});
