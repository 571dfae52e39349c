import * as z from 'zod';
import { type FieldIssue, toFieldIssues } from '../../domain/request.js';
import { requestIdFromBody } from '../../render/pull-request-marker.js';

/**
 * GitHub's webhook payloads, read with one schema per event: only the fields this service reads are
 * required, any others are allowed. A payload of the wrong shape is `invalid` (400, so GitHub shows the
 * failed delivery and does not retry it), one that concerns nothing here is `ignored` (204, with why).
 */

const Repository = z.object({ full_name: z.string() });

const PullRequestAction = z.object({ action: z.string() });

/** Who did it: the fields are read loosely (an odd login must not refuse the event), then checked. */
const Account = z.object({ login: z.unknown() }).nullish().catch(null);

const ClosedPullRequest = z.object({
  repository: Repository,
  sender: Account,
  pull_request: z.object({
    number: z.number().int().positive(),
    merged: z.boolean(),
    merged_by: Account,
    merge_commit_sha: z.string().nullish(),
    body: z.string().nullish(),
    // `repo` is null when the fork the pull request came from was deleted.
    head: z.object({ ref: z.string(), repo: Repository.nullable() }),
    base: z.object({ ref: z.string() }),
  }),
});
type ClosedPullRequest = z.infer<typeof ClosedPullRequest>;

const CheckRun = z.object({
  action: z.string(),
  repository: Repository,
  check_run: z.object({
    id: z.number().int(),
    name: z.string(),
    status: z.string(),
    conclusion: z.string().nullish(),
    // null when the check ran on a commit no branch points at.
    check_suite: z.object({ head_branch: z.string().nullable() }),
  }),
});

const CommitStatus = z.object({
  id: z.number().int(),
  state: z.enum(['pending', 'success', 'failure', 'error']),
  context: z.string(),
  repository: Repository,
  branches: z.array(z.object({ name: z.string() })),
});

/** Where this service's pull requests live: events about anything else change nothing. */
export interface WebhookTarget {
  /** `OWNER/REPO`. */
  repository: string;
  /** The base branch the service's pull requests target. */
  base: string;
}

export type GitHubEvent =
  | { kind: 'invalid'; issues: FieldIssue[] }
  | { kind: 'ignored'; reason: string }
  | {
      kind: 'pull_request';
      requestId: string;
      action: 'merged' | 'closed';
      number: number;
      headBranch: string;
      /** Merged: the base branch commit it merged as (the one the pipeline applies). */
      mergeCommit?: string;
      /** Who merged or closed it on GitHub, for the audit: `github:LOGIN`. */
      reportedBy: string;
    }
  | { kind: 'check'; branches: string[]; detail: string };

/** What a signed delivery asks of this service: `event` is its X-GitHub-Event, `body` its parsed JSON. */
export function readGitHubEvent(
  event: string | undefined,
  body: unknown,
  target: WebhookTarget,
): GitHubEvent {
  if (event === 'pull_request') return readPullRequest(body, target);
  if (event === 'check_run') return readCheckRun(body, target);
  if (event === 'status') return readCommitStatus(body, target);
  return { kind: 'ignored', reason: 'an event this service does not handle' };
}

/** GitHub's owner and repository names are case-insensitive. */
export const sameRepository = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Why a closed pull request is not one of this service's, or null when it may be: it must be in the
 * target repository, from a branch of that repository (a fork's author can copy any marker into their
 * own pull request, and GitHub signs the event all the same), and into the base branch.
 */
export function outsideTarget(event: ClosedPullRequest, target: WebhookTarget): string | null {
  const { repository, pull_request: pr } = event;
  if (!sameRepository(repository.full_name, target.repository))
    return `repository ${repository.full_name} is not ${target.repository}`;
  if (!pr.head.repo || !sameRepository(pr.head.repo.full_name, target.repository))
    return `pull request #${pr.number} comes from a fork`;
  if (pr.base.ref !== target.base) return `base branch ${pr.base.ref} is not ${target.base}`;
  return null;
}

function readPullRequest(body: unknown, target: WebhookTarget): GitHubEvent {
  const action = PullRequestAction.safeParse(body);
  if (!action.success) return invalid(action.error);
  if (action.data.action !== 'closed')
    return { kind: 'ignored', reason: 'a pull request that was not closed' };
  const parsed = ClosedPullRequest.safeParse(body);
  if (!parsed.success) return invalid(parsed.error);
  const outside = outsideTarget(parsed.data, target);
  if (outside) return { kind: 'ignored', reason: outside };
  const pr = parsed.data.pull_request;
  const requestId = requestIdFromBody(pr.body);
  if (!requestId) return { kind: 'ignored', reason: `pull request #${pr.number} names no request` };
  return {
    kind: 'pull_request',
    requestId,
    action: pr.merged ? 'merged' : 'closed',
    number: pr.number,
    headBranch: pr.head.ref,
    ...(pr.merged && pr.merge_commit_sha ? { mergeCommit: pr.merge_commit_sha } : {}),
    reportedBy: githubActor(
      pr.merged ? (pr.merged_by?.login ?? parsed.data.sender?.login) : parsed.data.sender?.login,
    ),
  };
}

/**
 * A GitHub login as the audit's actor: `github:LOGIN`. GitHub's logins are 1-39 letters, digits and
 * single hyphens (apps' `NAME[bot]`); anything else, or none, is `github:(unknown)`, never the raw text.
 */
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?$/;
export const githubActor = (login: unknown): string =>
  `github:${typeof login === 'string' && GITHUB_LOGIN.test(login) ? login : '(unknown)'}`;

function readCheckRun(body: unknown, target: WebhookTarget): GitHubEvent {
  const parsed = CheckRun.safeParse(body);
  if (!parsed.success) return invalid(parsed.error);
  const { repository, check_run: run } = parsed.data;
  if (!sameRepository(repository.full_name, target.repository))
    return { kind: 'ignored', reason: `repository ${repository.full_name} is not ${target.repository}` };
  const branch = run.check_suite.head_branch;
  if (!branch) return { kind: 'ignored', reason: 'a check run on no branch' };
  const result = run.conclusion ? `${run.status}: ${run.conclusion}` : run.status;
  return { kind: 'check', branches: [branch], detail: `check run "${run.name}" #${run.id} ${result}` };
}

function readCommitStatus(body: unknown, target: WebhookTarget): GitHubEvent {
  const parsed = CommitStatus.safeParse(body);
  if (!parsed.success) return invalid(parsed.error);
  const status = parsed.data;
  if (!sameRepository(status.repository.full_name, target.repository))
    return {
      kind: 'ignored',
      reason: `repository ${status.repository.full_name} is not ${target.repository}`,
    };
  const branches = status.branches.map((b) => b.name);
  if (branches.length === 0) return { kind: 'ignored', reason: 'a commit status on no branch' };
  return {
    kind: 'check',
    branches,
    detail: `commit status "${status.context}" #${status.id} ${status.state}`,
  };
}

const invalid = (error: z.ZodError): GitHubEvent => ({ kind: 'invalid', issues: toFieldIssues(error) });
