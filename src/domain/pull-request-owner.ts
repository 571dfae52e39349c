/**
 * A pull request belongs to exactly one request: the one its marker (or the local host's record) names.
 * The worker never commits onto a branch whose open pull request belongs to another request, and a host
 * never reuses one: its title, body and review are about that other request.
 */

interface OwnedPullRequest {
  number: number;
  /** The request the pull request was opened for; null when it names none (opened by a person). */
  requestId: string | null;
}

/** Whether the pull request was opened for this request. */
export const belongsTo = (pr: Pick<OwnedPullRequest, 'requestId'>, requestId: string): boolean =>
  pr.requestId === requestId;

/** The first open pull request that is not the request's own, if any. */
export function foreignPullRequest<T extends OwnedPullRequest>(
  open: readonly T[],
  requestId: string,
): T | undefined {
  return open.find((pr) => !belongsTo(pr, requestId));
}

/** Why a request cannot go on while another request's pull request is open on its branch. */
export function pullRequestInUseReason(pr: OwnedPullRequest, branch: string): string {
  const owner = pr.requestId === null ? 'opened outside rds-provisioner' : `request ${pr.requestId}`;
  return `pull request #${pr.number} (${owner}) is still open on ${branch}; merge or close it, then ask again`;
}
