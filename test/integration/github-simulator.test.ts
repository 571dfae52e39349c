/**
 * The GitHub simulator (test/support/github-simulator.ts) driven by a real Octokit client: GitHub's documented
 * answers and errors, validation against GitHub's OpenAPI description, rate limits and injected faults.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Octokit } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findOperation,
  loadGitHubOpenApi,
  toJsonSchema,
  validateErrorBody,
  validateRequest,
  validateResponse,
} from '../support/github-openapi.js';
import {
  type GitHubSimulator,
  type GitHubSimulatorOptions,
  gitBlobSha,
  startGitHubSimulator,
} from '../support/github-simulator.js';

const TOKEN = 'test-token';
const ThrottledOctokit = Octokit.plugin(throttling, retry);

let sims: GitHubSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.stop()));
  sims = [];
});

async function start(options: GitHubSimulatorOptions = {}): Promise<GitHubSimulator> {
  const sim = await startGitHubSimulator(options);
  sims.push(sim);
  return sim;
}

/** A bare client: no retries, no throttling, so every answer reaches the test. */
function bare(sim: GitHubSimulator, auth: string | null = TOKEN): Octokit {
  return new Octokit({ ...(auth === null ? {} : { auth }), baseUrl: sim.url });
}

/** Octokit as the host uses it: plugin-throttling and plugin-retry, with waits shortened for tests. */
function throttled(
  sim: GitHubSimulator,
  events: { secondary: number[]; primary: number[] } = { secondary: [], primary: [] },
  writeMinTimeMs = 0,
) {
  return new ThrottledOctokit({
    auth: TOKEN,
    baseUrl: sim.url,
    retry: { retryAfterBaseValue: 10 },
    throttle: {
      id: `sim-${Math.random()}`,
      // plugin-throttling spaces writes 1 s apart (3 s for notifying ones) by default; tests scale that.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: writeMinTimeMs }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: writeMinTimeMs }),
      onSecondaryRateLimit: (
        retryAfter: number,
        _options: unknown,
        _octokit: unknown,
        retryCount: number,
      ) => {
        events.secondary.push(retryAfter);
        return retryCount < 2;
      },
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
        events.primary.push(retryAfter);
        return retryCount < 2;
      },
    },
  });
}

/** What Octokit's RequestError carries. */
interface Failure {
  status: number;
  response?: { headers: Record<string, string | number | undefined>; data: unknown };
}

async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    if (error && typeof (error as Failure).status === 'number') return error as Failure;
    throw error;
  }
  throw new Error('expected the request to fail');
}

const messageOf = (error: Failure) =>
  String((error.response?.data as { message?: string } | undefined)?.message);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const repoOf = (sim: GitHubSimulator) => ({ owner: sim.owner, repo: sim.repo });

/** The worker's steps: branch, file, pull request (what the host adapter does for one request). */
async function openPullRequest(
  sim: GitHubSimulator,
  octokit: Octokit,
  branch: string,
  path: string,
  text: string,
) {
  const main = await octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
    ...repoOf(sim),
    ref: `heads/${sim.defaultBranch}`,
  });
  await octokit.request('POST /repos/{owner}/{repo}/git/refs', {
    ...repoOf(sim),
    ref: `refs/heads/${branch}`,
    sha: main.data.object.sha,
  });
  const put = await octokit.request('PUT /repos/{owner}/{repo}/contents/{path}', {
    ...repoOf(sim),
    path,
    message: `Add ${path}`,
    content: b64(text),
    branch,
  });
  const pr = await octokit.request('POST /repos/{owner}/{repo}/pulls', {
    ...repoOf(sim),
    title: `Provision ${branch}`,
    head: branch,
    base: sim.defaultBranch,
    body: 'Generated.',
  });
  return { put, pr };
}

describe('GitHub simulator: endpoints as GitHub documents them', () => {
  it('serves the host flow end to end with every request and response valid against the OpenAPI description', async () => {
    const sim = await start();
    const octokit = bare(sim);

    const repo = await octokit.request('GET /repos/{owner}/{repo}', repoOf(sim));
    expect(repo.data.default_branch).toBe('main');
    expect(repo.data.full_name).toBe(`${sim.owner}/${sim.repo}`);

    const existing = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...repoOf(sim),
      path: 'terraform/live/existing.tf',
    });
    expect(Array.isArray(existing.data)).toBe(false);
    const file = existing.data as { type: string; content: string; encoding: string; sha: string };
    expect(file.type).toBe('file');
    expect(file.encoding).toBe('base64');
    expect(Buffer.from(file.content, 'base64').toString('utf8')).toBe(sim.file('terraform/live/existing.tf'));
    expect(file.sha).toBe(gitBlobSha(sim.file('terraform/live/existing.tf') as string));

    const branch = 'feature/provision-rds-orders';
    const text = 'module "orders" {\n  source = "../modules/rds"\n}\n';
    const { put, pr } = await openPullRequest(sim, octokit, branch, 'terraform/live/orders.tf', text);
    expect(put.status).toBe(201);
    expect(put.data.content?.sha).toBe(gitBlobSha(text));
    expect(put.data.commit.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(sim.branches()[branch]).toBe(put.data.commit.sha);
    expect(sim.file('terraform/live/orders.tf', branch)).toBe(text);
    expect(sim.file('terraform/live/orders.tf')).toBeUndefined();

    expect(pr.status).toBe(201);
    expect(pr.data.number).toBe(1);
    expect(pr.data.head).toMatchObject({ ref: branch, sha: put.data.commit.sha });
    expect(pr.data.base.ref).toBe('main');
    expect(pr.data.html_url).toBe(`https://github.com/${sim.owner}/${sim.repo}/pull/1`);

    const labels = await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
      ...repoOf(sim),
      issue_number: 1,
      labels: ['database', 'env:dev'],
    });
    expect(labels.data.map((l) => l.name)).toEqual(['database', 'env:dev']);
    const reviewers = await octokit.request(
      'POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
      {
        ...repoOf(sim),
        pull_number: 1,
        reviewers: ['alice'],
        team_reviewers: ['platform'],
      },
    );
    expect(reviewers.data.requested_reviewers?.map((u) => u.login)).toEqual(['alice']);

    const listed = await octokit.request('GET /repos/{owner}/{repo}/pulls', {
      ...repoOf(sim),
      head: `${sim.owner}:${branch}`,
      base: 'main',
      state: 'open',
    });
    expect(listed.data.map((p) => p.number)).toEqual([1]);
    const none = await octokit.request('GET /repos/{owner}/{repo}/pulls', {
      ...repoOf(sim),
      head: `${sim.owner}:feature/other`,
      state: 'all',
    });
    expect(none.data).toEqual([]);

    const got = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      ...repoOf(sim),
      pull_number: 1,
    });
    expect(got.data).toMatchObject({
      state: 'open',
      merged: false,
      draft: false,
      title: `Provision ${branch}`,
    });
    expect(got.data.labels.map((l) => l.name)).toEqual(['database', 'env:dev']);

    const merged = await octokit.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
      ...repoOf(sim),
      pull_number: 1,
      merge_method: 'squash',
    });
    expect(merged.data.merged).toBe(true);
    expect(sim.file('terraform/live/orders.tf')).toBe(text);
    expect(sim.pull(1)).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: merged.data.sha });
    const after = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      ...repoOf(sim),
      pull_number: 1,
    });
    expect(after.data).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: merged.data.sha });

    expect(sim.problems).toEqual([]);
    expect(sim.violations).toEqual([]);
    expect(sim.counters.byRoute).toMatchObject({
      'GET /repos/{owner}/{repo}': 1,
      'GET /repos/{owner}/{repo}/git/ref/{ref}': 1,
      'POST /repos/{owner}/{repo}/git/refs': 1,
      'PUT /repos/{owner}/{repo}/contents/{path}': 1,
      'POST /repos/{owner}/{repo}/pulls': 1,
      'GET /repos/{owner}/{repo}/pulls': 2,
    });
    // Branch, file, pull request, labels, reviewers and the merge all count against the PR's branch.
    expect(sim.counters.mutationsByBranch).toEqual({ [branch]: 6 });
    expect(sim.counters.mutations).toBe(6);
    expect(sim.counters.readsByBranch).toMatchObject({ main: 2, [branch]: 3 });
  });

  it('answers 422 "Reference already exists" for an existing ref, 422 "Object does not exist" for an unknown sha', async () => {
    const sim = await start();
    const octokit = bare(sim);
    const error = await failure(
      octokit.request('POST /repos/{owner}/{repo}/git/refs', {
        ...repoOf(sim),
        ref: 'refs/heads/main',
        sha: sim.resolve('main') as string,
      }),
    );
    expect(error.status).toBe(422);
    expect(error.response?.data).toMatchObject({ message: 'Reference already exists' });
    expect(
      String((error.response?.data as { documentation_url?: string } | undefined)?.documentation_url),
    ).toMatch(/^https:\/\/docs\.github\.com/);

    const unknown = await failure(
      octokit.request('POST /repos/{owner}/{repo}/git/refs', {
        ...repoOf(sim),
        ref: 'refs/heads/feature/x',
        sha: 'f'.repeat(40),
      }),
    );
    expect(unknown.status).toBe(422);
    expect(unknown.response?.data).toMatchObject({ message: 'Object does not exist' });
    expect(sim.problems).toEqual([]);
  });

  it('PATCH git/refs moves a branch: forced anywhere, else only forward; 422 for a missing ref or an unknown sha', async () => {
    const sim = await start();
    const octokit = bare(sim);
    const main = sim.resolve('main') as string;
    sim.createBranch('feature/x', main);
    const ahead = sim.commitFiles('feature/x', { 'x.txt': 'x\n' });
    const update = (ref: string, sha: string, force?: boolean) =>
      octokit.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
        ...repoOf(sim),
        ref,
        sha,
        ...(force === undefined ? {} : { force }),
      });

    const backwards = await failure(update('heads/feature/x', main));
    expect(backwards.status).toBe(422);
    expect(backwards.response?.data).toMatchObject({ message: 'Update is not a fast forward' });
    const forced = await update('heads/feature/x', main, true);
    expect(forced.status).toBe(200);
    expect(forced.data).toMatchObject({ ref: 'refs/heads/feature/x', object: { sha: main } });
    expect(sim.branches()['feature/x']).toBe(main);
    expect((await update('heads/feature/x', ahead)).data.object.sha).toBe(ahead);

    const missing = await failure(update('heads/feature/none', main, true));
    expect(missing.status).toBe(422);
    expect(missing.response?.data).toMatchObject({ message: 'Reference does not exist' });
    const unknown = await failure(update('heads/feature/x', 'f'.repeat(40), true));
    expect(unknown.status).toBe(422);
    expect(unknown.response?.data).toMatchObject({ message: 'Object does not exist' });
    expect(sim.branches()['feature/x']).toBe(ahead);
    expect(sim.counters.mutationsByBranch).toEqual({ 'feature/x': 4, 'feature/none': 1 });
    expect(sim.problems).toEqual([]);
  });

  it('answers 409 for a stale sha and 422 for a missing sha when the file exists; 200 for an update', async () => {
    const sim = await start();
    const octokit = bare(sim);
    const path = 'terraform/live/existing.tf';
    const current = gitBlobSha(sim.file(path) as string);

    const stale = await failure(
      octokit.request('PUT /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path,
        message: 'update',
        content: b64('changed\n'),
        sha: gitBlobSha('something else\n'),
      }),
    );
    expect(stale.status).toBe(409);
    expect(stale.response?.data).toMatchObject({
      message: `${path} does not match ${gitBlobSha('something else\n')}`,
    });

    const missing = await failure(
      octokit.request('PUT /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path,
        message: 'update',
        content: b64('changed\n'),
      }),
    );
    expect(missing.status).toBe(422);
    expect(missing.response?.data).toMatchObject({ message: 'Invalid request.\n\n"sha" wasn\'t supplied.' });

    const ok = await octokit.request('PUT /repos/{owner}/{repo}/contents/{path}', {
      ...repoOf(sim),
      path,
      message: 'update',
      content: b64('changed\n'),
      sha: current,
    });
    expect(ok.status).toBe(200);
    expect(sim.file(path)).toBe('changed\n');

    const noBranch = await failure(
      octokit.request('PUT /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path: 'a.txt',
        message: 'add',
        content: b64('a'),
        branch: 'nope',
      }),
    );
    expect(noBranch.status).toBe(404);
    expect(sim.problems).toEqual([]);
  });

  it('answers 422 "A pull request already exists" for a second open PR from the same branch, and 422 without commits', async () => {
    const sim = await start();
    const octokit = bare(sim);
    await openPullRequest(sim, octokit, 'feature/provision-rds-a', 'terraform/live/a.tf', 'a\n');
    const again = await failure(
      octokit.request('POST /repos/{owner}/{repo}/pulls', {
        ...repoOf(sim),
        title: 'again',
        head: 'feature/provision-rds-a',
        base: 'main',
      }),
    );
    expect(again.status).toBe(422);
    expect(again.response?.data).toMatchObject({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${sim.owner}:feature/provision-rds-a.`,
        },
      ],
    });

    sim.createBranch('feature/empty');
    const empty = await failure(
      octokit.request('POST /repos/{owner}/{repo}/pulls', {
        ...repoOf(sim),
        title: 't',
        head: 'feature/empty',
        base: 'main',
      }),
    );
    expect(empty.status).toBe(422);
    expect(JSON.stringify(empty.response?.data)).toContain('No commits between main and feature/empty');

    const noHead = await failure(
      octokit.request('POST /repos/{owner}/{repo}/pulls', {
        ...repoOf(sim),
        title: 't',
        head: 'feature/none',
        base: 'main',
      }),
    );
    expect(noHead.status).toBe(422);
    expect(noHead.response?.data).toMatchObject({ errors: [{ field: 'head', code: 'invalid' }] });
    expect(sim.problems).toEqual([]);
  });

  it('answers 404 "Not Found" for an unknown ref, file, pull request or repository', async () => {
    const sim = await start();
    const octokit = bare(sim);
    const cases = [
      octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
        ...repoOf(sim),
        ref: 'heads/feature/none',
      }),
      octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path: 'terraform/live/none.tf',
      }),
      octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { ...repoOf(sim), pull_number: 42 }),
      octokit.request('GET /repos/{owner}/{repo}', { owner: sim.owner, repo: 'other' }),
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
        ...repoOf(sim),
        issue_number: 42,
        labels: ['x'],
      }),
    ];
    for (const c of cases) {
      const error = await failure(c);
      expect(error.status).toBe(404);
      expect(error.response?.data).toMatchObject({ message: 'Not Found' });
    }
    const unknownRef = await failure(
      octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path: 'README.md',
        ref: 'nope',
      }),
    );
    expect(unknownRef.status).toBe(404);
    expect(unknownRef.response?.data).toMatchObject({ message: 'No commit found for the ref nope' });
    expect(sim.problems).toEqual([]);
  });

  it('answers 401 "Bad credentials" for a wrong token and 401 without one; both token and Bearer schemes work', async () => {
    const sim = await start();
    const wrong = await failure(bare(sim, 'ghp_wrong').request('GET /repos/{owner}/{repo}', repoOf(sim)));
    expect(wrong.status).toBe(401);
    expect(wrong.response?.data).toMatchObject({ message: 'Bad credentials' });
    const anonymous = await failure(bare(sim, null).request('GET /repos/{owner}/{repo}', repoOf(sim)));
    expect(anonymous.status).toBe(401);

    for (const scheme of ['token', 'Bearer']) {
      const res = await fetch(`${sim.url}/repos/${sim.owner}/${sim.repo}`, {
        headers: { authorization: `${scheme} ${TOKEN}` },
      });
      expect(res.status).toBe(200);
    }
    expect(sim.problems).toEqual([]);
  });

  it('serves under a GitHub Enterprise Server path prefix', async () => {
    const sim = await start({ pathPrefix: '/api/v3', owner: 'platform', repo: 'live' });
    expect(sim.url).toMatch(/\/api\/v3$/);
    const repo = await bare(sim).request('GET /repos/{owner}/{repo}', repoOf(sim));
    expect(repo.data.full_name).toBe('platform/live');
    expect(repo.data.url).toBe(`${sim.url}/repos/platform/live`);
    expect(sim.problems).toEqual([]);
  });

  it('merges with mergePull() and refuses what GitHub refuses: a closed PR, a stale head sha', async () => {
    const sim = await start();
    const octokit = bare(sim);
    await openPullRequest(sim, octokit, 'feature/a', 'terraform/live/a.tf', 'a\n');
    await openPullRequest(sim, octokit, 'feature/b', 'terraform/live/b.tf', 'b\n');

    const stale = await failure(
      octokit.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
        ...repoOf(sim),
        pull_number: 2,
        sha: sim.resolve('main') as string,
      }),
    );
    expect(stale.status).toBe(409);

    const pr = sim.mergePull(1);
    expect(pr).toMatchObject({ state: 'closed', merged: true });
    expect(sim.commit(pr.merge_commit_sha as string)?.parents).toHaveLength(2);
    sim.mergePull(2);
    expect(Object.keys(sim.files())).toEqual([
      'README.md',
      'terraform/live/a.tf',
      'terraform/live/b.tf',
      'terraform/live/existing.tf',
    ]);
    const closed = await failure(
      octokit.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
        ...repoOf(sim),
        pull_number: 1,
      }),
    );
    expect(closed.status).toBe(405);
    expect(() => sim.mergePull(1)).toThrow(/not mergeable/);

    await openPullRequest(sim, octokit, 'feature/c', 'terraform/live/c.tf', 'c\n');
    expect(sim.closePull(3)).toMatchObject({ state: 'closed', merged: false });
    expect(sim.problems).toEqual([]);
  });
});

describe('GitHub simulator: removing files, trees and blobs', () => {
  const files = {
    'README.md': '# infra\n',
    'terraform/live/a.tf': 'a\n',
    'terraform/live/b.tf': 'b\n',
    'terraform/live/nested/c.tf': 'c\n',
    'terraform/live-old/d.tf': 'd\n',
    'terraform/livestock.tf': 'e\n',
  };

  it('DELETE contents commits the removal on the branch; 404 when the file or branch is missing, 409 for a stale sha', async () => {
    const sim = await start({ files });
    const octokit = bare(sim);
    const branch = 'feature/retire-rds-a';
    const before = sim.createBranch(branch);
    const path = 'terraform/live/a.tf';

    const removed = await octokit.request('DELETE /repos/{owner}/{repo}/contents/{path}', {
      ...repoOf(sim),
      path,
      message: 'Retire a',
      sha: gitBlobSha('a\n'),
      branch,
    });
    expect(removed.status).toBe(200);
    expect(removed.data.content).toBeNull();
    expect(removed.data.commit.sha).toBe(sim.branches()[branch]);
    expect(removed.data.commit.message).toBe('Retire a');
    expect(removed.data.commit.parents?.map((p) => p.sha)).toEqual([before]);
    expect(sim.commit(removed.data.commit.sha as string)?.files).toEqual(
      Object.fromEntries(Object.entries(files).filter(([p]) => p !== path)),
    );
    expect(sim.file(path)).toBe('a\n');

    const again = await failure(
      octokit.request('DELETE /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path,
        message: 'Retire a',
        sha: gitBlobSha('a\n'),
        branch,
      }),
    );
    expect(again.status).toBe(404);
    expect(again.response?.data).toMatchObject({ message: 'Not Found' });

    const stale = await failure(
      octokit.request('DELETE /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path: 'terraform/live/b.tf',
        message: 'Retire b',
        sha: gitBlobSha('not b\n'),
        branch,
      }),
    );
    expect(stale.status).toBe(409);
    expect(stale.response?.data).toMatchObject({
      message: `terraform/live/b.tf does not match ${gitBlobSha('not b\n')}`,
    });

    const noBranch = await failure(
      octokit.request('DELETE /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path: 'terraform/live/b.tf',
        message: 'Retire b',
        sha: gitBlobSha('b\n'),
        branch: 'feature/none',
      }),
    );
    expect(noBranch.status).toBe(404);
    expect(noBranch.response?.data).toMatchObject({ message: 'Branch feature/none not found' });

    // Without a branch: the default branch.
    await octokit.request('DELETE /repos/{owner}/{repo}/contents/{path}', {
      ...repoOf(sim),
      path: 'terraform/livestock.tf',
      message: 'Remove livestock',
      sha: gitBlobSha('e\n'),
    });
    expect(sim.file('terraform/livestock.tf')).toBeUndefined();
    expect(sim.file('terraform/livestock.tf', branch)).toBe('e\n');

    expect(sim.counters.mutationsByBranch).toEqual({ [branch]: 3, 'feature/none': 1, main: 1 });
    expect(sim.problems).toEqual([]);
  });

  it('GET git/trees lists the tree git makes of the files: by commit, tree or branch, recursively on request', async () => {
    const sim = await start({ files });
    const octokit = bare(sim);
    // The same files in a real repository: git's own tree shas and listing.
    const dir = mkdtempSync(join(tmpdir(), 'sim-tree-'));
    try {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const git = (...args: string[]) => {
        const out = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
        expect(out.status, out.stderr).toBe(0);
        return out.stdout;
      };
      git('init', '-q');
      git('add', '.');
      const rootTree = git('write-tree').trim();
      const lsTree = (recursive: boolean) =>
        git('ls-tree', ...(recursive ? ['-r', '-t'] : []), rootTree)
          .trim()
          .split('\n')
          .map((line) => {
            const [meta, path] = line.split('\t') as [string, string];
            const [mode, type, sha] = meta.split(' ') as [string, string, string];
            return { path, mode, type, sha };
          });

      const head = sim.resolve('main') as string;
      expect(sim.commit(head)?.tree).toBe(rootTree);
      const recursive = await octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...repoOf(sim),
        tree_sha: head,
        recursive: '1',
      });
      expect(recursive.data.sha).toBe(rootTree);
      expect(recursive.data.truncated).toBe(false);
      expect(recursive.data.tree.map(({ path, mode, type, sha }) => ({ path, mode, type, sha }))).toEqual(
        lsTree(true),
      );
      const blob = recursive.data.tree.find((e) => e.path === 'terraform/live/a.tf');
      expect(blob).toMatchObject({
        size: 2,
        url: `${sim.url}/repos/${sim.owner}/${sim.repo}/git/blobs/${blob?.sha}`,
      });
      const subtree = recursive.data.tree.find((e) => e.path === 'terraform/live');
      expect(subtree?.size).toBeUndefined();

      const top = await octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...repoOf(sim),
        tree_sha: 'main',
      });
      expect(top.data.tree.map(({ path, mode, type, sha }) => ({ path, mode, type, sha }))).toEqual(
        lsTree(false),
      );
      // A subtree by its sha lists its entries by name, as git does.
      const live = await octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...repoOf(sim),
        tree_sha: subtree?.sha as string,
      });
      expect(live.data.tree.map((e) => [e.path, e.type])).toEqual([
        ['a.tf', 'blob'],
        ['b.tf', 'blob'],
        ['nested', 'tree'],
      ]);
      // GitHub: any value of `recursive` (even "0" or "false") lists recursively.
      const anyValue = await octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
        ...repoOf(sim),
        tree_sha: subtree?.sha as string,
        recursive: 'false',
      });
      expect(anyValue.data.tree.map((e) => e.path)).toEqual(['a.tf', 'b.tf', 'nested', 'nested/c.tf']);

      const unknown = await failure(
        octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
          ...repoOf(sim),
          tree_sha: 'f'.repeat(40),
        }),
      );
      expect(unknown.status).toBe(404);
      expect(unknown.response?.data).toMatchObject({ message: 'Not Found' });
      expect(sim.problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GET git/trees?recursive says truncated past the entry limit and lists only that many', async () => {
    const sim = await start({ files, treeEntryLimit: 4 });
    const octokit = bare(sim);
    const recursive = await octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
      ...repoOf(sim),
      tree_sha: sim.resolve('main') as string,
      recursive: '1',
    });
    expect(recursive.data.truncated).toBe(true);
    expect(recursive.data.tree.map((e) => e.path)).toEqual([
      'README.md',
      'terraform',
      'terraform/live-old',
      'terraform/live-old/d.tf',
    ]);
    const top = await octokit.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
      ...repoOf(sim),
      tree_sha: sim.resolve('main') as string,
    });
    expect(top.data.truncated).toBe(false);
    expect(sim.problems).toEqual([]);
  });

  it('GET git/blobs answers the base64 content with its sha and size; 404 for an unknown blob', async () => {
    const sim = await start({ files });
    const octokit = bare(sim);
    const text = `${'résumé ✓ '.repeat(20)}\n`;
    sim.commitFiles('main', { 'terraform/live/long.tf': text });
    const sha = gitBlobSha(text);
    const blob = await octokit.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
      ...repoOf(sim),
      file_sha: sha,
    });
    expect(blob.data).toMatchObject({
      sha,
      size: Buffer.byteLength(text),
      encoding: 'base64',
      url: `${sim.url}/repos/${sim.owner}/${sim.repo}/git/blobs/${sha}`,
    });
    expect(Buffer.from(blob.data.content, 'base64').toString('utf8')).toBe(text);
    const unknown = await failure(
      octokit.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
        ...repoOf(sim),
        file_sha: 'f'.repeat(40),
      }),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.response?.data).toMatchObject({ message: 'Not Found' });
    expect(sim.problems).toEqual([]);
  });

  it('merges a pull request whose branch deletes a file; a merge conflict when the base changed that file', async () => {
    const sim = await start({ files });
    const octokit = bare(sim);
    const removeOn = async (branch: string, path: string) => {
      sim.createBranch(branch);
      await octokit.request('DELETE /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path,
        message: `Remove ${path}`,
        sha: gitBlobSha(sim.file(path) as string),
        branch,
      });
      return octokit.request('POST /repos/{owner}/{repo}/pulls', {
        ...repoOf(sim),
        title: `Remove ${path}`,
        head: branch,
        base: sim.defaultBranch,
      });
    };
    const pr = await removeOn('feature/retire-rds-a', 'terraform/live/a.tf');
    expect(pr.data.changed_files).toBe(1);
    const merged = await octokit.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
      ...repoOf(sim),
      pull_number: pr.data.number,
    });
    expect(merged.data.merged).toBe(true);
    expect(sim.file('terraform/live/a.tf')).toBeUndefined();
    expect(Object.keys(sim.files()).sort()).toEqual(
      Object.keys(files)
        .filter((p) => p !== 'terraform/live/a.tf')
        .sort(),
    );

    const conflicting = await removeOn('feature/retire-rds-b', 'terraform/live/b.tf');
    sim.commitFiles('main', { 'terraform/live/b.tf': 'b changed\n' });
    const conflict = await failure(
      octokit.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
        ...repoOf(sim),
        pull_number: conflicting.data.number,
      }),
    );
    expect(conflict.status).toBe(405);
    expect(conflict.response?.data).toMatchObject({ message: 'Merge conflict' });
    expect(sim.file('terraform/live/b.tf')).toBe('b changed\n');
    expect(sim.problems).toEqual([]);
  });
});

describe('GitHub simulator: repository archives', () => {
  const files = {
    'README.md': '# infra\n',
    'terraform/live/a.tf': 'a\n',
    'terraform/live/nested/deeper/c.tf': 'c\n',
    'terraform/live/run.sh': { content: '#!/bin/sh\necho plan\n', mode: '100755' as const },
    'terraform/live/link.tf': { content: 'a.tf', mode: '120000' as const },
    'terraform/modules/rds/main.tf': 'module\n',
  };

  /** `tar -tv` of a .tar.gz by GNU tar (which checks every header), without the dates git and we choose. */
  function listing(archive: Buffer): string[] {
    const out = spawnSync('tar', ['-tvz'], { input: archive, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    return out.stdout
      .trim()
      .split('\n')
      .map((line) => line.replace(/^(\S+) (\S+) +(\d+) \S+ \S+ /, '$1 $2 $3 '));
  }

  it('GET tarball/{ref} answers 302 to codeload on another origin, whose archive is what git archive makes of the commit', async () => {
    const sim = await start({ files });
    const head = sim.resolve('main') as string;
    const answer = await bare(sim).request('GET /repos/{owner}/{repo}/tarball/{ref}', {
      ...repoOf(sim),
      ref: head,
      request: { redirect: 'manual' },
    });
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.location as string);
    expect(location.origin).not.toBe(new URL(sim.url).origin);
    expect(location.pathname).toBe(`/acme/infrastructure/legacy.tar.gz/${head}`);
    expect(location.searchParams.get('token')).toMatch(/^[A-Z0-9]{29}$/);

    // Codeload needs no credentials: the token in the URL is the grant.
    const download = await fetch(location);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/x-gzip');
    const archive = Buffer.from(await download.arrayBuffer());
    const top = `acme-infrastructure-${head.slice(0, 7)}/`;

    // The same files in a real repository, archived by git with the same top directory.
    const dir = mkdtempSync(join(tmpdir(), 'sim-archive-'));
    try {
      const git = (args: string[], input?: string) => {
        const out = spawnSync('git', args, { cwd: dir, input, maxBuffer: 1 << 24 });
        expect(out.status, out.stderr.toString()).toBe(0);
        return out.stdout;
      };
      git(['init', '-q']);
      const lines = ['commit refs/heads/main', 'committer E <e@example.com> 1700000000 +0000', 'data 1', 'x'];
      for (const [path, file] of Object.entries(files)) {
        const { content, mode } = typeof file === 'string' ? { content: file, mode: '100644' } : file;
        lines.push(`M ${mode} inline ${path}`, `data ${Buffer.byteLength(content)}`, content);
      }
      git(['fast-import', '--quiet'], `${lines.join('\n')}\n`);
      expect(sim.commit(head)?.tree).toBe(git(['rev-parse', 'main^{tree}']).toString().trim());
      const real = git(['archive', '--format=tar.gz', `--prefix=${top}`, 'main']);
      expect(listing(archive)).toEqual(listing(real));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(listing(archive)).toEqual(
      expect.arrayContaining([
        `-rwxrwxr-x root/root 20 ${top}terraform/live/run.sh`,
        `lrwxrwxrwx root/root 0 ${top}terraform/live/link.tf -> a.tf`,
        `drwxrwxr-x root/root 0 ${top}terraform/live/nested/deeper/`,
      ]),
    );
    // Like git archive of a commit: a pax global header naming it, and the commit's time on every entry.
    const pax = spawnSync(
      'python3',
      [
        '-c',
        'import sys,tarfile; t=tarfile.open(fileobj=sys.stdin.buffer, mode="r|gz"); m=next(iter(t)); print(t.pax_headers["comment"], m.mtime)',
      ],
      { input: archive, encoding: 'utf8' },
    );
    expect(pax.stdout.trim()).toBe(`${head} ${Date.parse(sim.commit(head)?.date as string) / 1000}`);

    // An archive of an older commit holds what it held; a branch name works as a ref too.
    const next = sim.commitFiles('main', { 'terraform/live/a.tf': null, 'terraform/live/z.tf': 'z\n' });
    const byBranch = await bare(sim).request('GET /repos/{owner}/{repo}/tarball/{ref}', {
      ...repoOf(sim),
      ref: 'main',
    });
    expect(byBranch.status).toBe(200);
    const names = listing(Buffer.from(byBranch.data as ArrayBuffer)).map((line) =>
      line.split(' ').slice(3).join(' '),
    );
    expect(names).toContain(`acme-infrastructure-${next.slice(0, 7)}/terraform/live/z.tf`);
    expect(names).not.toContain(`acme-infrastructure-${next.slice(0, 7)}/terraform/live/a.tf`);
    expect(sim.counters.byRoute['GET /repos/{owner}/{repo}/tarball/{ref}']).toBe(2);
    expect(sim.problems).toEqual([]);
  });

  it('404 for an unknown ref; codeload 404 for a token it did not give, and a problem when it is sent the API token', async () => {
    const sim = await start({ files });
    const unknown = await bare(sim)
      .request('GET /repos/{owner}/{repo}/tarball/{ref}', { ...repoOf(sim), ref: 'f'.repeat(40) })
      .catch((error: { status: number }) => error);
    expect((unknown as { status: number }).status).toBe(404);

    const answer = await bare(sim).request('GET /repos/{owner}/{repo}/tarball/{ref}', {
      ...repoOf(sim),
      ref: 'main',
      request: { redirect: 'manual' },
    });
    const location = new URL(answer.headers.location as string);
    const forged = new URL(location);
    forged.searchParams.set('token', 'A'.repeat(29));
    expect((await fetch(forged)).status).toBe(404);
    const withoutToken = new URL(location);
    withoutToken.search = '';
    expect((await fetch(withoutToken)).status).toBe(404);
    expect(sim.problems).toEqual([]);

    // A client that carries the API token across origins leaks it: the simulator says so.
    const leaked = await fetch(location, { headers: { authorization: `token ${TOKEN}` } });
    expect(leaked.status).toBe(200);
    await leaked.arrayBuffer();
    expect(sim.problems).toEqual([
      expect.stringMatching(
        /codeload .* was sent an Authorization header: the API token must not leave the API/,
      ),
    ]);
  });
});

describe('GitHub simulator: validation against GitHub OpenAPI description', () => {
  it('records a request GitHub would refuse (POST /pulls without head) and answers 422', async () => {
    const sim = await start();
    const octokit = bare(sim);
    const error = await failure(
      octokit.request('POST /repos/{owner}/{repo}/pulls', {
        ...repoOf(sim),
        title: 'no head',
        base: 'main',
      } as never),
    );
    expect(error.status).toBe(422);
    expect(sim.problems).toHaveLength(1);
    expect(sim.problems[0]).toContain('"head" wasn\'t supplied');
    expect(sim.pulls()).toEqual([]);
  });

  it('records a mistyped query parameter, an unknown one, a head filter without owner and an unserved endpoint', async () => {
    const sim = await start();
    const octokit = bare(sim);
    const bad = await failure(
      octokit.request('GET /repos/{owner}/{repo}/pulls', { ...repoOf(sim), state: 'merged' } as never),
    );
    expect(bad.status).toBe(422);
    await octokit.request('GET /repos/{owner}/{repo}/pulls', { ...repoOf(sim), head_ref: 'x' } as never);
    await octokit.request('GET /repos/{owner}/{repo}/pulls', { ...repoOf(sim), head: 'feature/x' });
    const unserved = await failure(octokit.request('GET /repos/{owner}/{repo}/branches', repoOf(sim)));
    expect(unserved.status).toBe(404);
    expect(sim.problems).toHaveLength(4);
    expect(sim.problems[0]).toMatch(/query parameter "state": must be one of/);
    expect(sim.problems[1]).toMatch(/unknown query parameter "head_ref"/);
    expect(sim.problems[2]).toMatch(/GitHub expects "owner:branch"/);
    expect(sim.problems[3]).toMatch(/GET \/repos\/acme\/infrastructure\/branches: not an operation/);
  });

  it('catches a response GitHub could not have sent (validator unit checks)', async () => {
    const sim = await start();
    const octokit = bare(sim);
    const { pr } = await openPullRequest(sim, octokit, 'feature/v', 'terraform/live/v.tf', 'v\n');
    const path = '/repos/{owner}/{repo}/pulls/{pull_number}';
    const good = structuredClone(pr.data) as unknown as Record<string, unknown>;
    expect(validateResponse('GET', path, 200, good)).toEqual([]);

    const { number: _number, ...withoutNumber } = good;
    expect(validateResponse('GET', path, 200, withoutNumber)).toEqual([
      `GET ${path} 200 response body: "number" wasn't supplied.`,
    ]);
    expect(validateResponse('GET', path, 200, { ...good, state: 'merged' }).join('\n')).toMatch(
      /\/state: must be one of/,
    );
    expect(validateResponse('GET', path, 200, { ...good, html_url: 'not a uri' }).join('\n')).toMatch(
      /html_url/,
    );
    // Nullable in GitHub's description (OpenAPI 3.0 `nullable`): null is fine, a number is not.
    expect(validateResponse('GET', path, 200, { ...good, body: null })).toEqual([]);
    expect(validateResponse('GET', path, 200, { ...good, body: 5 }).join('\n')).toMatch(
      /\/body: must be string,null/,
    );
    // A concrete path works as well as the template, and an undocumented status is a problem.
    expect(validateResponse('GET', '/repos/a/b/pulls/7', 418, { message: 'teapot' })).toEqual([
      `GET ${path}: status 418 is not documented (documented: 200, 304, 404, 406, 500, 503)`,
    ]);
    expect(validateResponse('DELETE', '/repos/a/b', 204, undefined)[0]).toMatch(/not an operation/);
    expect(
      validateErrorBody({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }),
    ).toEqual([]);
    expect(validateErrorBody({ message: 5 })).toEqual(['error body/message: must be string']);
  });

  it('validates requests on their own: parameters, bodies, percent-encoded paths', () => {
    expect(
      validateRequest('POST', '/repos/{owner}/{repo}/git/refs', {
        params: { owner: 'a', repo: 'b' },
        body: { ref: 'refs/heads/x', sha: 'a'.repeat(40) },
      }),
    ).toEqual([]);
    expect(validateRequest('POST', '/repos/a/b/git/refs', { body: { ref: 'refs/heads/x' } })).toEqual([
      `POST /repos/{owner}/{repo}/git/refs request body: "sha" wasn't supplied.`,
    ]);
    expect(validateRequest('POST', '/repos/a/b/git/refs')).toEqual([
      'POST /repos/{owner}/{repo}/git/refs: a JSON request body is required',
    ]);
    expect(validateRequest('GET', '/repos/a/b/pulls/x')).toEqual([
      'GET /repos/{owner}/{repo}/pulls/{pull_number} path parameter "pull_number": must be integer',
    ]);
    expect(validateRequest('GET', '/repos/a/b/pulls', { query: { per_page: '100', page: '2' } })).toEqual([]);
    expect(validateRequest('PUT', '/repos/a/b/contents/x', { body: { message: 'm', content: 1 } })).toEqual([
      'PUT /repos/{owner}/{repo}/contents/{path} request body/content: must be string',
    ]);
    expect(findOperation('GET', '/repos/a/b/git/ref/heads%2Ffeature%2Fx')?.params).toEqual({
      owner: 'a',
      repo: 'b',
      ref: 'heads/feature/x',
    });
    expect(findOperation('GET', '/repos/a/b/contents/terraform/live/x.tf')?.params.path).toBe(
      'terraform/live/x.tf',
    );
  });

  it('loads a fixture that names its source and holds exactly the host operations', () => {
    const fixture = loadGitHubOpenApi();
    expect(fixture.source).toMatchObject({ package: '@octokit/openapi', package_version: '23.0.2' });
    expect(fixture.operations.map((o) => `${o.method.toUpperCase()} ${o.path}`)).toEqual([
      'GET /app',
      'GET /repos/{owner}/{repo}',
      'GET /repos/{owner}/{repo}/compare/{basehead}',
      'DELETE /repos/{owner}/{repo}/contents/{path}',
      'GET /repos/{owner}/{repo}/contents/{path}',
      'PUT /repos/{owner}/{repo}/contents/{path}',
      'GET /repos/{owner}/{repo}/git/blobs/{file_sha}',
      // init-repo --github: a repository's setup in one commit.
      'POST /repos/{owner}/{repo}/git/commits',
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
      'POST /repos/{owner}/{repo}/git/refs',
      'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
      'POST /repos/{owner}/{repo}/git/trees',
      'GET /repos/{owner}/{repo}/git/trees/{tree_sha}',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
      'GET /repos/{owner}/{repo}/pulls',
      'POST /repos/{owner}/{repo}/pulls',
      'GET /repos/{owner}/{repo}/pulls/{pull_number}',
      'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge',
      'POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
      'GET /repos/{owner}/{repo}/tarball/{ref}',
      'GET /user',
    ]);
    expect(toJsonSchema({ type: 'string', nullable: true, enum: ['a'] })).toEqual({
      type: ['string', 'null'],
      enum: ['a', null],
    });
    expect(
      toJsonSchema({ oneOf: [{ type: 'string' }], properties: { nullable: { type: 'boolean' } } }),
    ).toEqual({
      anyOf: [{ type: 'string' }],
      properties: { nullable: { type: 'boolean' } },
    });
  });

  // The fixture is regenerated by `node scripts/extract-github-openapi.mjs` (it installs @octokit/openapi,
  // 385 MB, into a temporary directory; `--check` compares). Here: it is the pinned description, and it
  // holds every operation the host uses.
  it('is extracted from the pinned @octokit/openapi and covers every operation the host uses', () => {
    const fixture = JSON.parse(readFileSync('test/fixtures/github-openapi.json', 'utf8')) as {
      source: { package: string; package_version: string };
      operations: Array<{ method: string; path: string }> | Record<string, unknown>;
    };
    expect(fixture.source).toMatchObject({ package: '@octokit/openapi', package_version: '23.0.2' });
    const text = JSON.stringify(fixture.operations);
    for (const path of [
      '/repos/{owner}/{repo}/git/ref/{ref}',
      '/repos/{owner}/{repo}/git/refs',
      '/repos/{owner}/{repo}/git/refs/{ref}',
      '/repos/{owner}/{repo}/contents/{path}',
      '/repos/{owner}/{repo}/git/trees/{tree_sha}',
      '/repos/{owner}/{repo}/git/blobs/{file_sha}',
      '/repos/{owner}/{repo}/pulls',
      '/repos/{owner}/{repo}/issues/{issue_number}/labels',
      '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
      '/repos/{owner}/{repo}/tarball/{ref}',
      '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      '/repos/{owner}/{repo}/issues/comments/{comment_id}',
      '/repos/{owner}/{repo}/compare/{basehead}',
      '/user',
      '/app',
    ]) {
      expect(text).toContain(path);
    }
  });
});

describe('GitHub simulator: blob shas', () => {
  it('gives a file the sha `git hash-object` gives the same content', async () => {
    const sim = await start();
    const octokit = bare(sim);
    sim.createBranch('feature/sha');
    const contents = ['', 'hello\n', 'résumé ✓\n', `${'x'.repeat(5000)}\n`];
    for (const [i, text] of contents.entries()) {
      const git = spawnSync('git', ['hash-object', '--stdin'], { input: text, encoding: 'utf8' });
      expect(git.status).toBe(0);
      const expected = git.stdout.trim();
      expect(gitBlobSha(text)).toBe(expected);
      const put = await octokit.request('PUT /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path: `files/${i}.txt`,
        message: 'add',
        content: b64(text),
        branch: 'feature/sha',
      });
      expect(put.data.content?.sha).toBe(expected);
      const got = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path: `files/${i}.txt`,
        ref: 'feature/sha',
      });
      expect((got.data as { sha: string }).sha).toBe(expected);
    }
    expect(sim.problems).toEqual([]);
  });
});

describe('GitHub simulator: rate limits', () => {
  it('sends x-ratelimit headers on every response, remaining going down', async () => {
    const sim = await start({ primaryLimit: 100 });
    const octokit = bare(sim);
    const seen: Record<string, string | number | undefined>[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await octokit.request('GET /repos/{owner}/{repo}', repoOf(sim));
      seen.push(res.headers);
    }
    expect(seen.map((h) => Number(h['x-ratelimit-remaining']))).toEqual([99, 98, 97]);
    expect(seen.map((h) => Number(h['x-ratelimit-used']))).toEqual([1, 2, 3]);
    for (const h of seen) {
      expect(h['x-ratelimit-limit']).toBe('100');
      expect(h['x-ratelimit-resource']).toBe('core');
      const reset = Number(h['x-ratelimit-reset']);
      expect(reset).toBeGreaterThan(Date.now() / 1000 + 3500);
      expect(reset).toBeLessThan(Date.now() / 1000 + 3700);
    }
    const error = await failure(
      octokit.request('GET /repos/{owner}/{repo}', { owner: sim.owner, repo: 'nope' }),
    );
    expect(error.response?.headers['x-ratelimit-remaining']).toBe('96');
  });

  it('answers 403 with x-ratelimit-remaining 0 once the primary limit is spent; throttling waits for the reset', async () => {
    // timeScale 1800: the hour window lasts two real seconds.
    const sim = await start({ primaryLimit: 2, timeScale: 1800 });
    const octokit = bare(sim);
    await octokit.request('GET /repos/{owner}/{repo}', repoOf(sim));
    await octokit.request('GET /repos/{owner}/{repo}', repoOf(sim));
    const error = await failure(octokit.request('GET /repos/{owner}/{repo}', repoOf(sim)));
    expect(error.status).toBe(403);
    expect(error.response?.headers['x-ratelimit-remaining']).toBe('0');
    expect(messageOf(error)).toMatch(/^API rate limit exceeded/);
    expect(Number(error.response?.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(
      Math.ceil(Date.now() / 1000) + 2,
    );
    expect(sim.violations.map((v) => v.kind)).toEqual(['primary']);

    const events = { secondary: [] as number[], primary: [] as number[] };
    const client = throttled(sim, events);
    const res = await client.request('GET /repos/{owner}/{repo}', repoOf(sim));
    expect(res.status).toBe(200);
    expect(sim.problems).toEqual([]);
  });

  it('refuses content creation past the per-minute limit with retry-after under the time scale; throttling retries', async () => {
    // timeScale 30: a scaled minute is two real seconds; 3 content-creating requests per scaled minute.
    const sim = await start({ timeScale: 30, secondary: { contentPerMinute: 3, contentPerHour: 100 } });
    const octokit = bare(sim);
    const main = sim.resolve('main') as string;
    const create = (client: Octokit, i: number) =>
      client.request('POST /repos/{owner}/{repo}/git/refs', {
        ...repoOf(sim),
        ref: `refs/heads/b${i}`,
        sha: main,
      });
    for (let i = 0; i < 3; i++) await create(octokit, i);
    const error = await failure(create(octokit, 3));
    expect(error.status).toBe(403);
    expect(messageOf(error)).toMatch(/^You have exceeded a secondary rate limit/);
    // Until the oldest of the three leaves the two-second window: whole real seconds, 1 or 2.
    expect(['1', '2']).toContain(error.response?.headers['retry-after']);
    expect(error.response?.headers['x-ratelimit-remaining']).not.toBe('0');
    expect(sim.violations.map((v) => v.kind)).toEqual(['content-per-minute']);
    expect(sim.branches().b3).toBeUndefined();

    // Reads are not content creation.
    await octokit.request('GET /repos/{owner}/{repo}', repoOf(sim));

    const events = { secondary: [] as number[], primary: [] as number[] };
    const started = Date.now();
    await create(throttled(sim, events), 3);
    expect(sim.branches().b3).toBe(main);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(sim.problems).toEqual([]);
  });

  it('limits content creation per scaled hour and concurrent content creation', async () => {
    const sim = await start({
      timeScale: 1800,
      secondary: { contentPerMinute: 100, contentPerHour: 2, maxConcurrentContent: 1, status: 429 },
    });
    const octokit = bare(sim);
    const main = sim.resolve('main') as string;
    const create = (i: number) =>
      octokit.request('POST /repos/{owner}/{repo}/git/refs', {
        ...repoOf(sim),
        ref: `refs/heads/h${i}`,
        sha: main,
      });
    await create(0);
    await create(1);
    const hourly = await failure(create(2));
    expect(hourly.status).toBe(429);
    expect(['1', '2']).toContain(hourly.response?.headers['retry-after']);
    expect(sim.violations.map((v) => v.kind)).toEqual(['content-per-hour']);

    // The hour (two real seconds) passes; then two content requests at once, the first held by a delay.
    await new Promise((r) => setTimeout(r, 2100));
    sim.schedule({ match: (r) => r.method === 'POST', fault: { kind: 'delay', ms: 1000 } });
    const [first, second] = await Promise.allSettled([
      create(10),
      new Promise((r) => setTimeout(r, 200)).then(() => create(11)),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    expect(sim.violations.map((v) => v.kind)).toEqual(['content-per-hour', 'concurrent-content']);
    expect(sim.counters.maxInFlightContent).toBe(1);
  });

  it('a burst paced by plugin-throttling at the scaled write interval causes no violation', async () => {
    // GitHub's 80 content-creating requests per minute, with a scaled minute lasting 100 ms: plugin-throttling's
    // write spacing (1 s at GitHub's pace) scaled by the same factor keeps a burst under the limit.
    const timeScale = 600;
    const sim = await start({ timeScale, secondary: { contentPerMinute: 80, contentPerHour: 500 } });
    const client = throttled(sim, undefined, Math.ceil(1000 / timeScale) + 1);
    const main = sim.resolve('main') as string;
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        client.request('POST /repos/{owner}/{repo}/git/refs', {
          ...repoOf(sim),
          ref: `refs/heads/p${i}`,
          sha: main,
        }),
      ),
    );
    expect(sim.violations).toEqual([]);
    expect(Object.keys(sim.branches())).toHaveLength(61);
    expect(sim.counters.maxInFlightContent).toBe(1);
    expect(sim.problems).toEqual([]);
  });
});

describe('GitHub simulator: injected faults', () => {
  it('answers 5xx on schedule; plugin-retry recovers, a bare client sees the status', async () => {
    const sim = await start();
    sim.schedule({ requests: 1, fault: { kind: 'status', status: 502 } });
    const error = await failure(bare(sim).request('GET /repos/{owner}/{repo}', repoOf(sim)));
    expect(error.status).toBe(502);

    sim.schedule({
      match: (r) => r.route === 'GET /repos/{owner}/{repo}/git/ref/{ref}',
      times: 2,
      fault: { kind: 'status', status: 503 },
    });
    const res = await throttled(sim).request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
      ...repoOf(sim),
      ref: 'heads/main',
    });
    expect(res.status).toBe(200);
    expect(sim.log.map((r) => r.status)).toEqual([502, 503, 503, 200]);
    expect(sim.counters.faults).toBe(3);
    expect(sim.counters.reads).toBe(1);
    expect(sim.problems).toEqual([]);
  });

  it('resets the connection on schedule; plugin-retry recovers', async () => {
    const sim = await start();
    sim.schedule({ match: (r) => r.method === 'PUT', fault: { kind: 'reset' } });
    const bareError = await failure(
      bare(sim).request('PUT /repos/{owner}/{repo}/contents/{path}', {
        ...repoOf(sim),
        path: 'x.txt',
        message: 'add',
        content: b64('x'),
      }),
    );
    expect(bareError.status).toBe(500);
    expect(sim.file('x.txt')).toBeUndefined();

    sim.schedule({ match: (r) => r.method === 'PUT', fault: { kind: 'reset' } });
    const res = await throttled(sim).request('PUT /repos/{owner}/{repo}/contents/{path}', {
      ...repoOf(sim),
      path: 'x.txt',
      message: 'add',
      content: b64('x'),
    });
    expect(res.status).toBe(201);
    expect(sim.file('x.txt')).toBe('x');
    expect(sim.log.map((r) => [r.fault ?? null, r.status])).toEqual([
      ['reset', 0],
      ['reset', 0],
      [null, 201],
    ]);
  });

  it('runs observer rules (no fault) before every request is handled; checks what the host sent even when a fault answers', async () => {
    const sim = await start();
    const octokit = bare(sim);
    const seen: string[] = [];
    sim.schedule({
      match: (r) => {
        seen.push(`${r.n} ${r.route}`);
        // Another actor commits to main between the host's read and the endpoint's answer.
        if (r.n === 1) sim.commitFiles('main', { 'late.txt': 'late\n' });
        return false;
      },
    });
    sim.schedule({ requests: 2, fault: { kind: 'status', status: 500 } });
    const file = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...repoOf(sim),
      path: 'late.txt',
    });
    expect(file.status).toBe(200);
    const error = await failure(
      octokit.request('POST /repos/{owner}/{repo}/pulls', {
        ...repoOf(sim),
        title: 'x',
        base: 'main',
      } as never),
    );
    expect(error.status).toBe(500);
    expect(seen).toEqual([
      '1 GET /repos/{owner}/{repo}/contents/{path}',
      '2 POST /repos/{owner}/{repo}/pulls',
    ]);
    expect(sim.problems).toEqual([
      `#2 POST /repos/{owner}/{repo}/pulls request body: "head" wasn't supplied.`,
    ]);
  });

  it('forces primary and secondary limit answers on schedule without counting them as violations', async () => {
    const sim = await start();
    sim.schedule([
      { requests: 1, fault: { kind: 'primary-limit', resetIn: 1 } },
      { requests: 2, fault: { kind: 'secondary-limit', retryAfter: 1 } },
    ]);
    const events = { secondary: [] as number[], primary: [] as number[] };
    const client = throttled(sim, events);
    const first = await client.request('GET /repos/{owner}/{repo}', repoOf(sim));
    expect(first.status).toBe(200);
    expect(events.primary).toHaveLength(1);
    expect(events.secondary).toEqual([1]);
    expect(sim.log.map((r) => r.status)).toEqual([403, 403, 200]);
    expect(sim.violations).toEqual([]);
    expect(sim.problems).toEqual([]);
  });
});
