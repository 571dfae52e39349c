/**
 * The GitHub simulator's issue comments, compare and identity endpoints (test/support/github-simulator/
 * issue-comments.ts, compare.ts, identity.ts) driven by a bare Octokit client, every request and response
 * checked against GitHub's OpenAPI description (sim.problems stays empty).
 */
import { generateKeyPairSync } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type GitHubSimulator,
  type GitHubSimulatorOptions,
  startGitHubSimulator,
} from '../support/github-simulator.js';

const TOKEN = 'test-token';
let sims: GitHubSimulator[] = [];
afterEach(async () => {
  for (const sim of sims) expect(sim.problems).toEqual([]);
  await Promise.all(sims.map((s) => s.stop()));
  sims = [];
});

async function start(options: GitHubSimulatorOptions = {}): Promise<GitHubSimulator> {
  const sim = await startGitHubSimulator(options);
  sims.push(sim);
  return sim;
}

const bare = (sim: GitHubSimulator, auth: string = TOKEN) => new Octokit({ auth, baseUrl: sim.url });

async function status(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { status: number; response?: { data?: { message?: string } } };
    return { status: e.status, message: String(e.response?.data?.message) };
  }
  throw new Error('expected the request to fail');
}

function openPull(sim: GitHubSimulator): number {
  sim.createBranch('feature/x');
  sim.commitFiles('feature/x', { 'x.tf': 'x\n' }, 'x');
  return sim.openPull({ head: 'feature/x', title: 'X' });
}

describe('GitHub simulator: issue comments', () => {
  it("creates (201, written by the token's user), lists oldest first a page at a time, and edits in place", async () => {
    const sim = await start();
    const octokit = bare(sim);
    const number = openPull(sim);
    const repo = { owner: sim.owner, repo: sim.repo };

    const created = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      ...repo,
      issue_number: number,
      body: 'first',
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      body: 'first',
      user: { login: 'rds-provisioner-bot', type: 'User' },
    });
    expect(created.headers.location).toBe(created.data.url);
    for (let i = 0; i < 4; i++) sim.addComment(number, `by alice ${i}`, 'alice');

    const page1 = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      ...repo,
      issue_number: number,
      per_page: 3,
    });
    expect(page1.data.map((c) => c.body)).toEqual(['first', 'by alice 0', 'by alice 1']);
    expect(page1.headers.link).toContain('rel="next"');
    const page2 = await octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      ...repo,
      issue_number: number,
      per_page: 3,
      page: 2,
    });
    expect(page2.data.map((c) => [c.body, c.user?.login])).toEqual([
      ['by alice 2', 'alice'],
      ['by alice 3', 'alice'],
    ]);
    expect(page2.headers.link).not.toContain('rel="next"');

    const edited = await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
      ...repo,
      comment_id: created.data.id,
      body: 'edited',
    });
    expect(edited.data).toMatchObject({ id: created.data.id, body: 'edited' });
    expect(sim.comments(number).map((c) => c.body)).toEqual([
      'edited',
      'by alice 0',
      'by alice 1',
      'by alice 2',
      'by alice 3',
    ]);
    expect(sim.pull(number)).toBeDefined();
  });

  it("refuses what GitHub refuses: an unknown issue or comment (404), someone else's comment (403), a body over 65,536 characters (422)", async () => {
    const sim = await start();
    const octokit = bare(sim);
    const number = openPull(sim);
    const repo = { owner: sim.owner, repo: sim.repo };
    const alices = sim.addComment(number, 'by alice', 'alice');

    const list404 = await status(
      octokit.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...repo,
        issue_number: 99,
      }),
    );
    expect(list404).toEqual({ status: 404, message: 'Not Found' });
    const create404 = await status(
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...repo,
        issue_number: 99,
        body: 'x',
      }),
    );
    expect(create404.status).toBe(404);
    const update404 = await status(
      octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        ...repo,
        comment_id: 424242,
        body: 'x',
      }),
    );
    expect(update404.status).toBe(404);
    const notYours = await status(
      octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
        ...repo,
        comment_id: alices,
        body: 'taken over',
      }),
    );
    expect(notYours.status).toBe(403);
    const tooLong = await status(
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...repo,
        issue_number: number,
        body: 'x'.repeat(65_537),
      }),
    );
    expect(tooLong).toEqual({ status: 422, message: 'Validation Failed' });
    expect(sim.comments(number).map((c) => c.body)).toEqual(['by alice']);
  });
});

describe('GitHub simulator: comparing commits', () => {
  it('answers identical, ahead, behind and diverged with the counts, the commits and the merge base', async () => {
    const sim = await start();
    const octokit = bare(sim);
    const root = sim.branches().main as string;
    sim.createBranch('side', root);
    const side1 = sim.commitFiles('side', { 's.tf': '1\n' }, 's1');
    const side2 = sim.commitFiles('side', { 's.tf': '2\n' }, 's2');
    const main1 = sim.commitFiles('main', { 'm.tf': '1\n' }, 'm1');
    const compare = (basehead: string, query: { per_page?: number } = {}) =>
      octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', {
        owner: sim.owner,
        repo: sim.repo,
        basehead,
        ...query,
      });

    const same = await compare(`${main1}...main`);
    expect(same.data).toMatchObject({ status: 'identical', ahead_by: 0, behind_by: 0, commits: [] });
    const ahead = await compare(`${root}...side`);
    expect(ahead.data).toMatchObject({ status: 'ahead', ahead_by: 2, behind_by: 0, total_commits: 2 });
    expect(ahead.data.commits.map((c) => c.sha)).toEqual([side1, side2]);
    expect(ahead.data.files?.map((f) => [f.filename, f.status])).toEqual([['s.tf', 'added']]);
    const behind = await compare(`side...${root}`);
    expect(behind.data).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 2 });
    const diverged = await compare('main...side');
    expect(diverged.data).toMatchObject({ status: 'diverged', ahead_by: 2, behind_by: 1 });
    expect(diverged.data.merge_base_commit.sha).toBe(root);
    expect(diverged.data.base_commit.sha).toBe(main1);
    // A branch name with a slash, raw or encoded.
    sim.createBranch('feature/y', side2);
    expect((await compare(`${side1}...feature/y`)).data.status).toBe('ahead');
    // One page of commits when asked.
    const paged = await compare(`${root}...side`, { per_page: 1 });
    expect(paged.data.commits.map((c) => c.sha)).toEqual([side1]);
    expect(paged.data.total_commits).toBe(2);
  });

  it('answers 404 for a commit or branch the repository does not have, and for histories without a common ancestor', async () => {
    const sim = await start();
    const octokit = bare(sim);
    const compare = (basehead: string) =>
      status(
        octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', {
          owner: sim.owner,
          repo: sim.repo,
          basehead,
        }),
      );
    expect(await compare(`${'a'.repeat(40)}...main`)).toEqual({ status: 404, message: 'Not Found' });
    expect(await compare('main...nowhere')).toEqual({ status: 404, message: 'Not Found' });
    expect((await compare('main')).status).toBe(404);
  });
});

describe('GitHub simulator: who the credentials are', () => {
  it("GET /user answers the token's user", async () => {
    const sim = await start({ login: 'platform-bot' });
    const { data } = await bare(sim).request('GET /user');
    expect(data).toMatchObject({ login: 'platform-bot', type: 'User' });
  });

  it("as a GitHub App: GET /app answers the app's JWT only, GET /user refuses the installation token, comments are the bot's", async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const installation = 'ghs_installationTokenOfTheApp000000000';
    const sim = await start({ tokens: [installation], app: { id: 4242, slug: 'rds-provisioner' } });
    const asApp = new Octokit({
      authStrategy: createAppAuth,
      auth: { appId: 4242, privateKey },
      baseUrl: sim.url,
    });
    const { data } = await asApp.request('GET /app');
    expect(data).toMatchObject({ id: 4242, slug: 'rds-provisioner' });
    const otherApp = new Octokit({
      authStrategy: createAppAuth,
      auth: { appId: 1, privateKey },
      baseUrl: sim.url,
    });
    expect(await status(otherApp.request('GET /app'))).toEqual({
      status: 401,
      message: 'A JSON web token could not be decoded',
    });
    expect((await status(bare(sim, installation).request('GET /app'))).status).toBe(401);
    expect(await status(bare(sim, installation).request('GET /user'))).toEqual({
      status: 403,
      message: 'Resource not accessible by integration',
    });

    const number = openPull(sim);
    const created = await bare(sim, installation).request(
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      { owner: sim.owner, repo: sim.repo, issue_number: number, body: 'hello' },
    );
    expect(created.data.user).toMatchObject({ login: 'rds-provisioner[bot]', type: 'Bot' });
    expect(created.data.performed_via_github_app).toMatchObject({ id: 4242, slug: 'rds-provisioner' });
  });
});
