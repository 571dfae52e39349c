import { readFileSync } from 'node:fs';

/**
 * What a report's flags default to in CI: the commit, the branch and the pull request, read from GitHub
 * Actions' or CircleCI's own variables. Each platform's variables are read only when its marker is set
 * (GITHUB_ACTIONS, CIRCLECI), so a stray variable elsewhere never decides anything.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** A value and the variable it came from; `where` names the variables to set when there is none. */
export interface Inferred {
  value: string | undefined;
  where: string;
}

/** The part of a GitHub pull_request event the reports read; anything else in the file is ignored. */
interface PullRequestEvent {
  number?: unknown;
  head?: { sha?: unknown };
}

const GITHUB = (env: Env) => env.GITHUB_ACTIONS === 'true';
const CIRCLE = (env: Env) => env.CIRCLECI === 'true';
const nonEmpty = (value: string | undefined) => (value ? value : undefined);

/** The event GitHub wrote for this run (GITHUB_EVENT_PATH): its pull request, if it has one. */
function githubPullRequest(env: Env): PullRequestEvent | undefined {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  try {
    const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { pull_request?: unknown };
    const pr = event?.pull_request;
    return typeof pr === 'object' && pr !== null ? (pr as PullRequestEvent) : undefined;
  } catch {
    return undefined;
  }
}

const isPullRequestEvent = (env: Env) => /^pull_request/.test(env.GITHUB_EVENT_NAME ?? '');

/**
 * The pull request's head commit. On GitHub a pull_request run's GITHUB_SHA is the merge preview, not
 * the branch head the service compares with: the event's pull_request.head.sha is.
 */
export function headCommit(env: Env): Inferred {
  const where =
    'GitHub Actions: GITHUB_SHA, or the pull_request event at GITHUB_EVENT_PATH; CircleCI: CIRCLE_SHA1';
  if (GITHUB(env)) {
    if (isPullRequestEvent(env)) {
      const sha = githubPullRequest(env)?.head?.sha;
      return { value: typeof sha === 'string' && sha ? sha : undefined, where };
    }
    return { value: nonEmpty(env.GITHUB_SHA), where };
  }
  return { value: CIRCLE(env) ? nonEmpty(env.CIRCLE_SHA1) : undefined, where };
}

/** The commit this run built: a push's (the merge commit on the base branch) or a scheduled run's. */
export function runCommit(env: Env): Inferred {
  const where = 'GitHub Actions: GITHUB_SHA; CircleCI: CIRCLE_SHA1';
  if (GITHUB(env)) return { value: nonEmpty(env.GITHUB_SHA), where };
  return { value: CIRCLE(env) ? nonEmpty(env.CIRCLE_SHA1) : undefined, where };
}

/** The branch this run built: a pull request's source branch, else the branch pushed or scheduled. */
export function runBranch(env: Env): Inferred {
  const where = 'GitHub Actions: GITHUB_HEAD_REF or GITHUB_REF_NAME; CircleCI: CIRCLE_BRANCH';
  if (GITHUB(env)) return { value: nonEmpty(env.GITHUB_HEAD_REF) ?? nonEmpty(env.GITHUB_REF_NAME), where };
  return { value: CIRCLE(env) ? nonEmpty(env.CIRCLE_BRANCH) : undefined, where };
}

/** The base branch: a pull request's target, else the branch the run is on (a schedule runs on the base). */
export function baseBranch(env: Env): Inferred {
  const where = 'GitHub Actions: GITHUB_BASE_REF or GITHUB_REF_NAME; CircleCI: CIRCLE_BRANCH';
  if (GITHUB(env)) return { value: nonEmpty(env.GITHUB_BASE_REF) ?? nonEmpty(env.GITHUB_REF_NAME), where };
  return { value: CIRCLE(env) ? nonEmpty(env.CIRCLE_BRANCH) : undefined, where };
}

/** The pull request number: GitHub's refs/pull/N/merge or the event, CircleCI's …/pull/N. */
export function pullRequestNumber(env: Env): Inferred {
  const where =
    'GitHub Actions: GITHUB_REF (refs/pull/N/merge) or the pull_request event at GITHUB_EVENT_PATH; CircleCI: CIRCLE_PULL_REQUEST (…/pull/N)';
  if (GITHUB(env)) {
    const fromRef = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(env.GITHUB_REF ?? '')?.[1];
    if (fromRef) return { value: fromRef, where };
    const number = githubPullRequest(env)?.number;
    return { value: typeof number === 'number' ? String(number) : undefined, where };
  }
  if (CIRCLE(env)) return { value: /\/pull\/(\d+)\/?$/.exec(env.CIRCLE_PULL_REQUEST ?? '')?.[1], where };
  return { value: undefined, where };
}
