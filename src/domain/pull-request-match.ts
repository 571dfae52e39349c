import { type GitConventions, requestBranch } from './naming.js';
import type { RequestRecord } from './status.js';

/** What a merged or closed pull request says about itself. */
export interface PullRequestFacts {
  number: number;
  /** The branch the pull request merges from. */
  headBranch: string;
}

type Matched = Pick<RequestRecord, 'id' | 'kind' | 'step' | 'request' | 'pullRequest'>;

/**
 * The branches a pull request of the request's current step may come from. Once the worker has recorded
 * the step's pull request, its branch (the policy's template may have changed since). A retirement's
 * first step lifts deletion protection on a branch of its own, or removes the file at once; its second
 * step only removes it.
 */
export function stepBranches(record: Matched, conventions: GitConventions): string[] {
  const ask = { id: record.id, kind: record.kind, dbName: record.request.db_name };
  const remove = requestBranch(ask, conventions);
  const recorded = record.pullRequest?.branch;
  if (record.kind === 'retire' && record.step > 1)
    return recorded && !recorded.endsWith('-unprotect') ? [recorded] : [remove];
  if (recorded) return [recorded];
  return record.kind === 'retire'
    ? [requestBranch({ ...ask, unprotect: true }, conventions), remove]
    : [remove];
}

/**
 * Why a merged or closed pull request does not settle this request's current step, or null when it does.
 * Its head must be one of the step's branches and, once the worker has recorded a pull request on that
 * branch, its number must be that one; a marker copied into any other pull request settles nothing. (A
 * merge may arrive before the worker records pr_open: then the branch decides.)
 */
export function pullRequestMismatch(
  record: Matched,
  pr: PullRequestFacts,
  conventions: GitConventions,
): string | null {
  const branches = stepBranches(record, conventions);
  if (!branches.includes(pr.headBranch))
    return `head branch ${pr.headBranch} is not the request's branch ${branches.join(' or ')}`;
  const recorded = record.pullRequest;
  if (recorded && recorded.branch === pr.headBranch && recorded.number !== pr.number)
    return `pull request #${pr.number} is not the request's pull request #${recorded.number}`;
  return null;
}
