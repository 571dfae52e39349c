import { readFileSync } from 'node:fs';
import { GitHubHost } from '../adapters/github/github-host.js';
import { createGitHubClient, type GitHubAuth, type GitHubClientOptions } from '../adapters/github/octokit.js';
import type { Logger } from '../ports.js';

/** OWNER/REPO by GitHub's name rules: the owner and the repository as the two groups. */
export const GITHUB_REPOSITORY_PATTERN = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

/** A configuration mistake found at start-up: the message names the variable, never a secret. */
export class GitHubConfigError extends Error {
  override name = 'GitHubConfigError';
}

/**
 * Credentials from the environment: GITHUB_TOKEN (a personal access token), or a GitHub App through
 * GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE).
 */
export function githubAuthFromEnv(env: NodeJS.ProcessEnv = process.env): GitHubAuth {
  if (env.GITHUB_TOKEN) return { token: env.GITHUB_TOKEN };
  const { GITHUB_APP_ID: appId, GITHUB_APP_INSTALLATION_ID: installationId } = env;
  const privateKey =
    env.GITHUB_APP_PRIVATE_KEY ??
    (env.GITHUB_APP_PRIVATE_KEY_FILE ? readFileSync(env.GITHUB_APP_PRIVATE_KEY_FILE, 'utf8') : undefined);
  if (appId && installationId && privateKey) return { appId, installationId, privateKey };
  throw new GitHubConfigError(
    'GitHub credentials missing: set GITHUB_TOKEN, or GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE)',
  );
}

/** `OWNER/REPO` on GitHub (or GitHub Enterprise Server through GITHUB_API_URL). */
export function githubHostFromEnv(
  repository: string,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): GitHubHost {
  return githubHost(
    repository,
    { auth: githubAuthFromEnv(env), logger, ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}) },
    '--github',
  );
}

/** A host for `OWNER/REPO` with a client built from these options; a malformed name is a GitHubConfigError. */
export function githubHost(
  repository: string,
  options: GitHubClientOptions,
  source = 'the repository',
): GitHubHost {
  const match = GITHUB_REPOSITORY_PATTERN.exec(repository);
  if (!match) throw new GitHubConfigError(`${source} must be OWNER/REPO, got ${JSON.stringify(repository)}`);
  return new GitHubHost({
    client: createGitHubClient(options),
    owner: match[1] as string,
    repo: match[2] as string,
    logger: options.logger,
  });
}
