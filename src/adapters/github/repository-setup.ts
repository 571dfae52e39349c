/**
 * A repository's setup as one pull request (init-repo --github): every file in one commit on one branch,
 * through GitHub's Git data API, and one pull request. Reads go through GitHubHost (the branch head, the
 * tree, the open pull requests); the writes are:
 *
 *   POST git/trees    the new files on the base commit's tree (their content inline)
 *   POST git/commits  one commit of that tree on the base commit
 *   POST git/refs     the branch (PATCH git/refs, forced, when an earlier run left it without a pull request)
 *   POST pulls        the pull request
 */
import { classifyError } from './errors.js';
import type { GitHubHost } from './github-host.js';
import type { GitHubClient } from './octokit.js';

export interface SetupFile {
  path: string;
  content: string;
}

export interface SetupPullRequest {
  base: string;
  branch: string;
  message: string;
  title: string;
  body: string;
}

export class RepositorySetup {
  constructor(
    readonly host: GitHubHost,
    private readonly client: GitHubClient,
    private readonly owner: string,
    private readonly repo: string,
  ) {}

  /** One commit holding `files` on `baseCommit`, the branch at it, and the pull request. */
  async open(
    baseCommit: string,
    files: readonly SetupFile[],
    spec: SetupPullRequest,
  ): Promise<{ number: number; url: string }> {
    const tree = await this.send(
      'create the tree of the setup commit',
      'POST /repos/{owner}/{repo}/git/trees',
      {
        base_tree: await this.treeOf(baseCommit),
        tree: files.map(({ path, content }) => ({ path, mode: '100644', type: 'blob', content })),
      },
    );
    const commit = await this.send('create the setup commit', 'POST /repos/{owner}/{repo}/git/commits', {
      message: spec.message,
      tree: (tree as { sha: string }).sha,
      parents: [baseCommit],
    });
    const sha = (commit as { sha: string }).sha;
    const head = await this.host.headOf(spec.branch);
    if (head === null)
      await this.send(`create branch ${spec.branch}`, 'POST /repos/{owner}/{repo}/git/refs', {
        ref: `refs/heads/${spec.branch}`,
        sha,
      });
    else
      await this.send(`move branch ${spec.branch}`, 'PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
        ref: `heads/${spec.branch}`,
        sha,
        force: true,
      });
    const pull = await this.send('open the pull request', 'POST /repos/{owner}/{repo}/pulls', {
      head: spec.branch,
      base: spec.base,
      title: spec.title,
      body: spec.body,
    });
    const { number, html_url } = pull as { number: number; html_url: string };
    return { number, url: html_url };
  }

  /** A commit's tree: the one object of it GET git/trees answers with, read for its sha alone. */
  private async treeOf(commit: string): Promise<string> {
    const tree = await this.send(
      `read the tree of ${commit}`,
      'GET /repos/{owner}/{repo}/git/trees/{tree_sha}',
      {
        tree_sha: commit,
      },
    );
    return (tree as { sha: string }).sha;
  }

  private async send(what: string, route: string, params: Record<string, unknown>): Promise<unknown> {
    const request = this.client.octokit.request as unknown as (
      route: string,
      params: Record<string, unknown>,
    ) => Promise<{ data: unknown }>;
    try {
      const { data } = await request(route, { owner: this.owner, repo: this.repo, ...params });
      return data;
    } catch (error) {
      throw classifyError(error, {
        what,
        repository: `${this.owner}/${this.repo}`,
        secrets: this.client.secrets,
        time: this.client.time,
      });
    }
  }
}
