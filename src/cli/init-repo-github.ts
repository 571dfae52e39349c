import { createHash } from 'node:crypto';
import { GitHubHost } from '../adapters/github/github-host.js';
import { createGitHubClient } from '../adapters/github/octokit.js';
import { RepositorySetup } from '../adapters/github/repository-setup.js';
import { silentLogger } from '../adapters/system.js';
import { type Existing, planInitRepo, pullRequestText, type RepositoryFile } from '../app/init-repo.js';
import type { InitRepoSettings } from '../domain/init-repo.js';
import { GitHostError } from '../ports.js';
import { GITHUB_REPOSITORY_PATTERN, githubAuthFromEnv } from '../runtime/github-from-env.js';
import { CliError, EXIT } from './exit-codes.js';
import { refuseConflicts } from './init-repo-conflicts.js';

/** The branch of the setup's pull request: one per repository, so a second run finds the first. */
export const INIT_REPO_BRANCH = 'rds-provisioner/init-repo';

/** git's blob id of a text: what GitHub's tree lists, so a file is compared without reading it. */
const blobId = (content: string) => {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
};

/**
 * `init-repo --github OWNER/REPO`: the files as one pull request (credentials as `serve --github` takes
 * them: GITHUB_TOKEN, or a GitHub App; GITHUB_API_URL for GitHub Enterprise Server). An open pull request
 * from the setup branch, or a base branch that holds every file already, changes nothing.
 */
export async function initRepoOnGitHub(
  repository: string,
  settings: InitRepoSettings,
  files: readonly RepositoryFile[],
): Promise<void> {
  const [, owner, repo] = GITHUB_REPOSITORY_PATTERN.exec(repository) as RegExpExecArray;
  const client = createGitHubClient({
    auth: githubAuthFromEnv(),
    logger: silentLogger,
    ...(process.env.GITHUB_API_URL ? { baseUrl: process.env.GITHUB_API_URL } : {}),
  });
  const host = new GitHubHost({ client, owner: owner as string, repo: repo as string, logger: silentLogger });
  try {
    const open = await host.openPullRequests(INIT_REPO_BRANCH);
    const [already] = open;
    if (already !== undefined) {
      process.stdout.write(
        `a pull request is already open: #${already.number} ${already.url}; nothing changed (merge or close it first)\n`,
      );
      return;
    }
    const baseCommit = await host.headOf(settings.base);
    if (baseCommit === null)
      throw new CliError(
        [`--github ${repository}: has no branch ${settings.base} (the policy's git.base): nothing changed`],
        EXIT.invalid,
      );
    const there = new Map((await host.listFiles(baseCommit, '')).map((file) => [file.path, file.blob]));
    const existing = (file: RepositoryFile): Existing => {
      const blob = there.get(file.path);
      if (blob !== undefined) return blob === blobId(file.content) ? 'same' : 'different';
      const parts = file.path.split('/');
      const inTheWay =
        [...there.keys()].some((path) => path.startsWith(`${file.path}/`)) ||
        parts.slice(1).some((_, i) => there.has(parts.slice(0, i + 1).join('/')));
      return inTheWay ? 'different' : 'absent';
    };
    const plan = planInitRepo(files, existing);
    refuseConflicts(plan, `${repository} (${settings.base})`);
    if (plan.write.length === 0) {
      process.stdout.write(
        `${repository} is up to date: ${settings.base} holds every file with the same content; nothing changed\n`,
      );
      return;
    }
    const text = pullRequestText(settings, plan.write);
    const pull = await new RepositorySetup(host, client, owner as string, repo as string).open(
      baseCommit,
      plan.write,
      {
        base: settings.base,
        branch: INIT_REPO_BRANCH,
        message: `${text.title}\n\n${text.body}`,
        title: text.title,
        body: text.body,
      },
    );
    process.stdout.write(
      [
        ...plan.write.map((file) => `written: ${file.path}`),
        ...plan.unchanged.map((path) => `unchanged: ${path}`),
        `pull request #${pull.number}: ${pull.url} (branch ${INIT_REPO_BRANCH}, one commit of ${plan.write.length} files)`,
        '',
      ].join('\n'),
    );
  } catch (error) {
    if (error instanceof GitHostError)
      throw new CliError([`--github ${repository}: ${error.message}`], EXIT.error);
    throw error;
  }
}
