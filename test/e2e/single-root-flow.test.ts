/**
 * The original system's layout end to end, on both git hosts: a policy with `git.layout: single-root`
 * writes every database as `terraform/live/<db_name>.tf` of the one root, and a name is refused in every
 * environment once it is on main. (The packaged policy's per-database layout is proved by local-flow and
 * github-flow.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { branches, fileAt, git } from '../support/git-checks.js';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { writeSingleRootPolicy } from '../support/layouts.js';
import { api, type RunningServer, serverPerSuite, startServer, waitFor } from '../support/server.js';

const singleRoot = writeSingleRootPolicy();
const BRANCH = 'feature/provision-rds-ledger';
const FILE = 'terraform/live/ledger.tf';

function rendered(input: Record<string, unknown>, requestId: string): string {
  const resolved = resolveRequest(input, singleRoot.policy.policy, { requestId });
  if (!resolved.ok) throw new Error('unreachable: a valid request');
  return renderTerraform(resolved.value.spec);
}

type Call = ReturnType<typeof api>;

async function untilPullRequest(call: Call, id: string) {
  const open = await waitFor(
    () => call('GET', `/requests/${id}`),
    (r) => ['pr_open', 'failed'].includes(r.json?.status),
    60_000,
  );
  expect(open.json).toMatchObject({ status: 'pr_open', failure_reason: null });
  return open.json.pull_request as { number: number; branch: string };
}

/** Every environment refuses the name once its file is on main, request and dry run alike, naming the file. */
async function expectRefusedEverywhere(call: Call, requestId: string) {
  const before = (await call('GET', '/requests')).json.requests.length;
  for (const environment of ['dev', 'staging', 'prod']) {
    for (const path of ['/provision', '/provision?dry_run=true']) {
      const again = await call('POST', path, {
        db_name: 'ledger',
        engine: 'postgres',
        environment,
        owner: 'team-ledger',
      });
      expect(again.status).toBe(409);
      expect(again.json).toEqual({
        error: 'conflict',
        request_id: requestId,
        message: `database ledger already exists: ${FILE} is on main`,
      });
    }
  }
  expect((await call('GET', '/requests')).json.requests).toHaveLength(before);
}

describe('git.layout single-root on the local git host', () => {
  const suite = serverPerSuite({ args: ['--config', singleRoot.path] });

  it("seeds the root's own files, writes terraform/live/<db_name>.tf calling ../modules/rds, and refuses the name in every environment once merged", async () => {
    const { server, call } = suite;
    // The repository the server created holds the single root's providers, backend and networks.
    const live = git(server.repo, 'ls-tree', '--name-only', 'main', 'terraform/live/').split('\n');
    expect(live).toEqual(
      expect.arrayContaining([
        'terraform/live/providers.tf',
        'terraform/live/backend.tf',
        'terraform/live/networks.tf',
        'terraform/live/networks.auto.tfvars',
        'terraform/live/providers.auto.tfvars',
      ]),
    );
    expect(live).not.toContain('terraform/live/backend.hcl'); // read only by per-database roots

    const input = { db_name: 'ledger', engine: 'mysql', environment: 'dev' };
    const preview = await call('POST', '/provision?dry_run=true', input);
    expect(preview.status).toBe(200);
    expect(preview.json.file_path).toBe(FILE);
    const accepted = await call('POST', '/provision', input);
    expect(accepted.status).toBe(202);
    const id = accepted.json.request_id as string;
    const pr = await untilPullRequest(call, id);
    expect(pr.branch).toBe(BRANCH);

    const content = fileAt(server.repo, BRANCH, FILE);
    expect(content).toBe(rendered(input, id));
    expect(content).toContain('source = "../modules/rds"');
    expect(content).toContain('var.networks["dev"]');
    expect(content).not.toMatch(/^(terraform|provider) /m); // the root's own files hold those
    expect(git(server.repo, 'diff', '--name-only', `main...${BRANCH}`).trim()).toBe(FILE);

    expect((await call('POST', `/pulls/${pr.number}/merge`)).status).toBe(200);
    expect(fileAt(server.repo, 'main', FILE)).toBe(content);
    const branchesBefore = branches(server.repo);
    await expectRefusedEverywhere(call, id);
    expect(branches(server.repo)).toEqual(branchesBefore);
  });
});

describe('git.layout single-root on GitHub', () => {
  const TOKEN = 'ghp_singleRootLayoutToken0123456789abcdef';
  let sim: GitHubSimulator;
  let server: RunningServer;
  let call: Call;

  beforeAll(async () => {
    sim = await startGitHubSimulator({ owner: 'acme', repo: 'infra', tokens: [TOKEN] });
    server = await startServer({
      args: ['--github', 'acme/infra', '--workers', '1', '--config', singleRoot.path],
      env: { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: sim.url },
    });
    call = api(server);
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.stop();
  });

  it('writes terraform/live/<db_name>.tf and nothing else on the branch, and refuses the name in every environment once merged', async () => {
    const input = { db_name: 'ledger', engine: 'postgres', environment: 'staging' };
    const accepted = await call('POST', '/provision', input);
    expect(accepted.status).toBe(202);
    const id = accepted.json.request_id as string;
    const pr = await untilPullRequest(call, id);
    expect(pr.branch).toBe(BRANCH);

    expect(sim.file(FILE, BRANCH)).toBe(rendered(input, id));
    const [onMain, onBranch] = [sim.files('main'), sim.files(BRANCH)];
    expect(Object.keys(onBranch).filter((path) => onBranch[path] !== onMain[path])).toEqual([FILE]);
    expect(sim.problems).toEqual([]);

    sim.mergePull(pr.number);
    const pullsBefore = sim.pulls().length;
    await expectRefusedEverywhere(call, id);
    expect(sim.pulls()).toHaveLength(pullsBefore);
    expect(server.output.join('\n')).not.toContain(TOKEN);
  });
});
