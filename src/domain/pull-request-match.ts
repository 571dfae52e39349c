import { branchName, type GitConventions } from './naming.js';
import type { RequestRecord } from './status.js';

/** What a merged or closed pull request says about itself. */
export interface PullRequestFacts {
  number: number;
  /** The branch the pull request merges from. */
  headBranch: string;
}

/**
 * Why a merged or closed pull request does not settle this request, or null when it does. Its head must
 * be the request's branch and, once the worker has recorded the request's pull request, its number must
 * be that one; a marker copied into any other pull request settles nothing. (A merge may arrive before
 * the worker records pr_open: then the branch decides.)
 */
export function pullRequestMismatch(
  record: Pick<RequestRecord, 'request' | 'pullRequest'>,
  pr: PullRequestFacts,
  conventions: GitConventions,
): string | null {
  // The branch the worker used, once recorded: the policy's template may have changed since.
  const branch = record.pullRequest?.branch ?? branchName(record.request.db_name, conventions);
  if (pr.headBranch !== branch) return `head branch ${pr.headBranch} is not the request's branch ${branch}`;
  const recorded = record.pullRequest?.number;
  if (recorded !== undefined && recorded !== pr.number)
    return `pull request #${pr.number} is not the request's pull request #${recorded}`;
  return null;
}
