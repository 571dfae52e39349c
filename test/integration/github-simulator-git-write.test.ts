/**
 * The simulator's Git data writes (test/support/github-simulator/git-write.ts), as init-repo --github uses
 * them: a tree on a base tree with inline content, a commit of it on a parent that moves no branch, and
 * GitHub's 422 for a base tree, tree or parent it does not have. Every request and response is checked
 * against GitHub's OpenAPI description by the simulator itself (its violations).
 */
import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';

describe('GitHub simulator: POST git/trees and git/commits', () => {
  let sim: GitHubSimulator;
  let octokit: Octokit;
  const repo = () => ({ owner: sim.owner, repo: sim.repo });
  beforeAll(async () => {
    sim = await startGitHubSimulator({ files: { 'README.md': '# infra\n', 'a/b.txt': 'b\n' } });
    octokit = new Octokit({ auth: 'test-token', baseUrl: sim.url });
  });
  afterAll(() => sim.stop());

  it('a tree on a base tree keeps the base files; its commit has the parent and moves no branch', async () => {
    const main = sim.resolve('main') as string;
    const baseTree = sim.commit(main)?.tree as string;
    const tree = await octokit.request('POST /repos/{owner}/{repo}/git/trees', {
      ...repo(),
      base_tree: baseTree,
      tree: [{ path: 'terraform/live/backend.hcl', mode: '100644', type: 'blob', content: 'bucket = "x"\n' }],
    });
    expect(tree.status).toBe(201);
    const commit = await octokit.request('POST /repos/{owner}/{repo}/git/commits', {
      ...repo(),
      message: 'setup',
      tree: tree.data.sha,
      parents: [main],
    });
    expect(commit.status).toBe(201);
    expect(commit.data.parents.map((p) => p.sha)).toEqual([main]);
    expect(sim.commit(commit.data.sha)?.files).toEqual({
      'README.md': '# infra\n',
      'a/b.txt': 'b\n',
      'terraform/live/backend.hcl': 'bucket = "x"\n',
    });
    expect(sim.resolve('main')).toBe(main);
    expect(sim.violations).toEqual([]);
  });

  it('answers 422 for an unknown base tree, tree or parent', async () => {
    const status = (promise: Promise<unknown>) =>
      promise.then(
        () => 0,
        (error: { status: number }) => error.status,
      );
    const unknown = 'f'.repeat(40);
    expect(
      await status(
        octokit.request('POST /repos/{owner}/{repo}/git/trees', {
          ...repo(),
          base_tree: unknown,
          tree: [{ path: 'x', mode: '100644', type: 'blob', content: 'x' }],
        }),
      ),
    ).toBe(422);
    expect(
      await status(
        octokit.request('POST /repos/{owner}/{repo}/git/commits', { ...repo(), message: 'm', tree: unknown }),
      ),
    ).toBe(422);
    const tree = sim.commit(sim.resolve('main') as string)?.tree as string;
    expect(
      await status(
        octokit.request('POST /repos/{owner}/{repo}/git/commits', {
          ...repo(),
          message: 'm',
          tree,
          parents: [unknown],
        }),
      ),
    ).toBe(422);
    expect(sim.violations).toEqual([]);
  });
});
