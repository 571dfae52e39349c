import { sign } from '@octokit/webhooks-methods';
import type { PullSnapshot } from './github-simulator.js';

/**
 * Webhook payloads as GitHub sends them for the simulator's repository (the fields the service reads,
 * and a few it does not): one place, so every test delivers the same shapes.
 */

/**
 * `pull_request` with action `closed`, for a pull request from a branch of `repository` itself; with
 * `by`, the login that merged or closed it (GitHub's `sender`, and `merged_by` on a merge).
 */
export function closedPullRequestEvent(repository: string, pr: PullSnapshot, by?: string) {
  const repo = { full_name: repository, private: true };
  const merger = by !== undefined && pr.merged ? { merged_by: { login: by } } : {};
  return {
    action: 'closed',
    number: pr.number,
    repository: repo,
    pull_request: { ...pr, head: { ...pr.head, repo }, base: { ...pr.base, repo }, ...merger },
    ...(by !== undefined && { sender: { login: by } }),
  };
}

/** Delivers a `pull_request` event as GitHub does: POST to the webhook URL, signed with the secret. */
export async function deliverPullRequestEvent(url: string, secret: string, event: object): Promise<Response> {
  const payload = JSON.stringify(event);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-hub-signature-256': await sign(secret, payload),
    },
    body: payload,
  });
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
