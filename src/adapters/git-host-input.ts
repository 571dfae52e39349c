/**
 * What every git host refuses before it touches a repository: a permanent GitHostError that names the input
 * and why, never echoing more than a short prefix of it.
 */
import { isValidBranchName } from '../domain/branch-name.js';
import { isObjectId } from '../domain/object-id.js';
import { commentProblem } from '../domain/pull-request-comment.js';
import { GitHostError } from '../ports.js';

export function assertBranchName(branch: string): void {
  if (!isValidBranchName(branch))
    throw new GitHostError(`invalid branch name ${JSON.stringify(branch)}`, 'permanent');
}

/** A full commit id: a name git would resolve (`main`, `HEAD~1`, an abbreviation) is not one. */
export function assertCommitId(commit: string): void {
  if (!isObjectId(commit)) {
    throw new GitHostError(
      `invalid commit id ${JSON.stringify(commit.slice(0, 80))}: 40 or 64 hexadecimal digits`,
      'permanent',
    );
  }
}

/** A pull request comment the hosts can write and find again (see domain/pull-request-comment.ts). */
export function assertComment(number: number, marker: string, body: string): void {
  const problem = commentProblem(number, marker, body);
  if (problem) throw new GitHostError(problem, 'permanent');
}
