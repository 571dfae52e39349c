import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { githubServedPerSuite } from '../support/github-served.js';
import { closedPullRequestEvent } from '../support/github-webhooks.js';
import { waitFor } from '../support/server.js';

const GITHUB_TOKEN = 'ghp_rolesOnGitHubTokenThatMustNeverLeak01234567';

/**
 * Issue 15 on `serve --github` against the GitHub simulator: people ask with their own tokens and are
 * recorded as requesters; a merge happens on GitHub, and its webhook puts the GitHub login in the audit.
 */
describe('roles on serve --github: per-person tokens, the merge on GitHub in the audit trail', {
  timeout: 120_000,
}, () => {
  const served = githubServedPerSuite({ token: GITHUB_TOKEN, webhookSecret: 'whsec-roles-github' });

  const cli = (token: string, args: string[]) =>
    runCli(args, {
      env: { RDS_PROVISIONER_URL: served.server.url, RDS_PROVISIONER_API_TOKEN: token },
    });

  it('alice asks with her own token and is the requester; bob-gh merges on GitHub and the audit names github:bob-gh', async () => {
    const admin = served.server.token;
    const created = await cli(admin, ['token', 'create', '--user', 'alice', '--role', 'requester']);
    expect(created.code).toBe(0);
    const alice = created.stdout.trim();
    expect(alice).toMatch(/^rdsp_/);
    expect(JSON.parse((await cli(alice, ['whoami', '--json'])).stdout)).toMatchObject({
      id: 'alice',
      role: 'requester',
    });

    const run = await cli(alice, [
      'request',
      '--db-name',
      'billing',
      '--engine',
      'postgres',
      '--environment',
      'prod',
      '--owner',
      'team-billing',
      '--wait',
    ]);
    expect([run.code, run.stdout]).toEqual([0, expect.stringContaining('  pr_open  ')]);
    const id = run.stdout.slice(0, 36);
    const open = JSON.parse((await cli(alice, ['status', id, '--json'])).stdout);
    expect(open.requester).toBe('alice');
    const pull = served.sim.pulls().find((p) => p.number === open.pull_request.number);
    expect(pull?.body).toContain('- Requested by: `alice`');

    // Merged on GitHub by bob-gh: the webhook reports who merged.
    const merged = served.sim.mergePull(open.pull_request.number);
    const event = closedPullRequestEvent(`${served.sim.owner}/${served.sim.repo}`, merged);
    const delivery = {
      ...event,
      pull_request: { ...event.pull_request, merged_by: { login: 'bob-gh', type: 'User' } },
      sender: { login: 'bob-gh', type: 'User' },
    };
    expect(await served.webhook('pull_request', delivery)).toBe(200);
    await waitFor(
      async () => JSON.parse((await cli(alice, ['status', id, '--json'])).stdout).status,
      (status) => status === 'merged',
    );

    const audit = await cli(admin, ['audit', '--json', '--all']);
    expect(audit.code).toBe(0);
    const { entries } = JSON.parse(audit.stdout);
    expect(entries).toContainEqual(
      expect.objectContaining({
        actor: 'alice',
        role: 'requester',
        action: 'request.create',
        outcome: 'allowed',
        environment: 'prod',
      }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({
        actor: 'github:bob-gh',
        action: 'pull.merge',
        outcome: 'allowed',
        environment: 'prod',
        target: expect.stringContaining(String(open.pull_request.number)),
      }),
    );
    const text = await cli(admin, ['audit', '--actor', 'github:bob-gh']);
    expect(text.stdout).toMatch(/^\S+ +github:bob-gh +\S+ +pull\.merge +allowed +prod /m);
    for (const secret of [alice, admin, GITHUB_TOKEN]) {
      expect(audit.stdout).not.toContain(secret);
      expect(served.server.output.join('\n')).not.toContain(secret === admin ? `Bearer ${admin}` : secret);
    }
    expect(served.sim.problems).toEqual([]);
  });
});
