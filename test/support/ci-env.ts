import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The environment GitHub Actions gives a step of a `pull_request` run: the event file (written into
 * `dir`) with the pull request's number and head, its refs, and GITHUB_SHA, which on such a run is the
 * merge preview, never the head: a reporter that took it would name the wrong commit.
 */
export function githubPullRequestEnv(
  dir: string,
  pr: { number: number; branch: string; head: string },
): Record<string, string> {
  const event = join(dir, 'github-event.json');
  writeFileSync(event, JSON.stringify({ pull_request: { number: pr.number, head: { sha: pr.head } } }));
  return {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_REF: `refs/pull/${pr.number}/merge`,
    GITHUB_HEAD_REF: pr.branch,
    GITHUB_SHA: 'a'.repeat(40),
  };
}
