import { describe, expect, it } from 'vitest';
import { generatedForRequest } from '../../src/render/terraform.js';
import { fileAt, git } from '../support/git-checks.js';
import { githubServedPerSuite } from '../support/github-served.js';
import { type api, serverPerSuite, waitFor } from '../support/server.js';

/**
 * A database created, retired and asked for again under the same name in the same environment. Its
 * creation branch (`feature/provision-rds-{db_name}`, never deleted) still stands at the first creation's
 * merged head: the second creation must start it afresh from the base, not commit on top of it (its pull
 * request would then conflict with the base, which removed the file the branch changes).
 */
const file = 'terraform/live/staging/orders/main.tf';
const branch = 'feature/provision-rds-orders';
const ORDERS = { db_name: 'orders', engine: 'postgres', environment: 'staging', deployment: 'aurora' };

type Call = ReturnType<typeof api>;

/** The whole round: create, retire in two steps (staging is protected), create again; the second id. */
async function createRetireCreate(call: Call, mergeOpen: (id: string, step?: number) => Promise<unknown>) {
  const first = await call('POST', '/provision', ORDERS);
  expect(first.status).toBe(202);
  await mergeOpen(first.json.request_id);

  const retire = await call('DELETE', '/databases/orders');
  expect(retire.status).toBe(202);
  await mergeOpen(retire.json.request_id, 1);
  await mergeOpen(retire.json.request_id, 2);
  await waitFor(
    () => call('GET', `/requests/${retire.json.request_id}`),
    (r) => r.json?.status === 'merged',
  );
  expect((await call('GET', '/databases/orders')).status).toBe(404);

  const again = await call('POST', '/provision', { ...ORDERS, size: 'medium' });
  expect(again.status).toBe(202);
  const againId = again.json.request_id as string;
  await mergeOpen(againId);
  const merged = await waitFor(
    () => call('GET', `/requests/${againId}`),
    (r) => r.json?.status === 'merged',
  );
  expect(merged.json.pull_request.branch).toBe(branch);
  expect((await call('GET', '/databases/orders')).json).toMatchObject({
    environment: 'staging',
    size: 'medium',
    request_id: againId,
  });
  return { againId };
}

describe('a database created again in the same environment after its retirement (local runtime)', () => {
  const suite = serverPerSuite();

  async function mergeOpen(id: string, step = 1) {
    const open = await waitFor(
      () => suite.call('GET', `/requests/${id}`),
      (r) => (r.json?.status === 'pr_open' && r.json?.step === step) || r.json?.status === 'failed',
    );
    expect(open.json).toMatchObject({ status: 'pr_open', step });
    const merged = await suite.call('POST', `/pulls/${open.json.pull_request.number}/merge`);
    expect(merged.json).toMatchObject({ state: 'merged' });
  }

  it('opens the second creation from a branch started afresh, and its pull request merges cleanly', async () => {
    const { repo } = suite.server;
    const { againId } = await createRetireCreate(suite.call, mergeOpen);
    expect(generatedForRequest(fileAt(repo, 'main', file) as string)).toBe(againId);
    // The branch holds one commit, the second creation's, on a base without the file.
    expect(git(repo, 'log', '-1', '--format=%B', branch)).toContain(`request ${againId}`);
    expect(fileAt(repo, `${branch}^`, file)).toBeNull();
  });
});

describe('serve --github: a database created again in the same environment after its retirement', () => {
  const served = githubServedPerSuite({
    token: 'ghp_simulatedTokenForTheRecreation0123456789',
    webhookSecret: 'whsec-for-the-recreation-test',
  });

  it('opens the second creation from a branch started afresh, and its pull request merges cleanly', async () => {
    const { sim } = served;
    // mergeOpen throws "Merge conflict" where GitHub would answer 405.
    const { againId } = await createRetireCreate(served.call, served.mergeOpen);
    expect(generatedForRequest(sim.file(file, 'main') as string)).toBe(againId);
    // One commit on the base the branch started from, which lacks the file.
    const head = sim.commit(sim.branches()[branch] as string);
    expect(head?.parents).toHaveLength(1);
    expect(sim.commit(head?.parents[0] as string)?.files[file]).toBeUndefined();
    expect(sim.pulls().filter((p) => p.head.ref === branch)).toHaveLength(2);
    expect(sim.problems).toEqual([]);
    expect(sim.violations).toEqual([]);
  });
});
