import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_COMMENT_MARKER } from '../../src/render/plan-comment.js';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { closedPullRequestEvent } from '../support/github-webhooks.js';
import { api, type RunningServer, startServer, waitFor } from '../support/server.js';
import { auroraState, planDocument } from '../support/terraform-documents.js';

const TOKEN = 'ghp_simulatedTokenForTheReportsTest0123456789';
const WEBHOOK_SECRET = 'whsec-for-the-reports-test';

/** The way back from CI against GitHub: the plan as one comment edited in place, the merge commit applied. */
describe('pipeline reports with serve --github', () => {
  let sim: GitHubSimulator;
  let server: RunningServer;
  let call: ReturnType<typeof api>;
  let pipeline: ReturnType<typeof api>;

  beforeAll(async () => {
    sim = await startGitHubSimulator({ owner: 'acme', repo: 'infra', tokens: [TOKEN] });
    server = await startServer({
      args: ['--github', 'acme/infra', '--workers', '1'],
      env: { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: sim.url, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET },
    });
    call = api(server);
    pipeline = api({ url: server.url, token: server.pipelineToken });
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.stop();
  });

  const webhook = async (event: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    const response = await fetch(`${server.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
      },
      body,
    });
    return response.status;
  };

  it('comments the plan once and edits it, ignores a stranger’s comment with the marker, and applies the merge commit', async () => {
    const accepted = await call('POST', '/provision', {
      db_name: 'orders',
      engine: 'postgres',
      environment: 'dev',
    });
    expect(accepted.status).toBe(202);
    const id = accepted.json.request_id as string;
    const open = await waitFor(
      () => call('GET', `/requests/${id}`),
      (r) => ['pr_open', 'failed'].includes(r.json.status),
      60_000,
    );
    expect(open.json.status).toBe('pr_open');
    const { number, branch } = open.json.pull_request as { number: number; branch: string };
    const commit = sim.resolve(branch) as string;

    // A stranger posts a comment carrying the marker first: it is not the service's, so never edited.
    sim.addComment(number, `${PLAN_COMMENT_MARKER}\nall good, merge it`, 'mallory');

    const change = (actions: Array<'create' | 'update'>) =>
      planDocument({
        changes: [
          {
            db: 'orders',
            type: 'aws_rds_cluster',
            name: 'this',
            actions,
            after: { engine: 'aurora-postgresql' },
          },
        ],
      });
    const first = await pipeline('POST', '/reports/plan', {
      branch,
      pull_request: number,
      commit,
      plan: change(['create']),
    });
    expect(first.status, first.text).toBe(200);
    const second = await pipeline('POST', '/reports/plan', {
      branch,
      pull_request: number,
      commit,
      plan: change(['update']),
    });
    expect(second.status, second.text).toBe(200);
    const ours = sim.comments(number).filter((c) => c.author !== 'mallory');
    expect(ours).toHaveLength(1);
    expect(ours[0]?.body).toContain('| `orders` | 0 | 1 | 0 | 0 |');
    expect(sim.comments(number).find((c) => c.author === 'mallory')?.body).toContain('all good, merge it');

    const merged = sim.mergePull(number);
    expect(await webhook('pull_request', closedPullRequestEvent('acme/infra', merged))).toBe(200);
    const record = await waitFor(
      () => call('GET', `/requests/${id}`),
      (r) => r.json.status === 'merged',
    );
    expect(record.json.merge_commit).toBe(merged.merge_commit_sha);

    const applied = await pipeline('POST', '/reports/apply', {
      commit: merged.merge_commit_sha,
      outcome: 'succeeded',
      state: auroraState('orders'),
    });
    expect(applied.status, applied.text).toBe(200);
    expect((await call('GET', `/requests/${id}`)).json).toMatchObject({
      status: 'ready',
      connection: { writer_endpoint: 'orders.cluster-abc.eu-west-1.rds.amazonaws.com' },
    });

    // Drift: the merge commit is on main (GitHub's compare), another commit is not.
    const drift = planDocument({
      timestamp: '2026-12-06T02:00:00Z',
      changes: [{ db: 'orders', type: 'aws_rds_cluster', name: 'this', actions: ['no-op'] }],
    });
    const onMain = await pipeline('POST', '/reports/drift', {
      branch: 'main',
      commit: merged.merge_commit_sha,
      plan: drift,
    });
    expect(onMain.status, onMain.text).toBe(200);
    expect(onMain.json.databases).toEqual([{ db_name: 'orders', status: 'clean', changed: true }]);
    sim.createBranch('side');
    const elsewhere = sim.commitFiles('side', { 'x.txt': 'x' });
    const notOnMain = await pipeline('POST', '/reports/drift', {
      branch: 'main',
      commit: elsewhere,
      plan: drift,
    });
    expect(notOnMain.status).toBe(404);
  });
});
