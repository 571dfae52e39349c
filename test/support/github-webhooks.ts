import type { PullSnapshot } from './github-simulator.js';

/**
 * Webhook payloads as GitHub sends them for the simulator's repository (the fields the service reads,
 * and a few it does not): one place, so every test delivers the same shapes.
 */

/** `pull_request` with action `closed`, for a pull request from a branch of `repository` itself. */
export function closedPullRequestEvent(repository: string, pr: PullSnapshot) {
  const repo = { full_name: repository, private: true };
  return {
    action: 'closed',
    number: pr.number,
    repository: repo,
    pull_request: { ...pr, head: { ...pr.head, repo }, base: { ...pr.base, repo } },
  };
}

/** `check_run` with action `completed` on a branch of `repository`. */
export function completedCheckRunEvent(
  repository: string,
  run: { id: number; name: string; conclusion: string; headBranch: string },
) {
  return {
    action: 'completed',
    repository: { full_name: repository, private: true },
    check_run: {
      id: run.id,
      name: run.name,
      status: 'completed',
      conclusion: run.conclusion,
      check_suite: { head_branch: run.headBranch },
    },
  };
}
