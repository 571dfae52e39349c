import { describe, expect, it } from 'vitest';
import { readGitHubEvent, sameRepository } from '../../src/app/http/github-events.js';
import { DEFAULT_GIT_CONVENTIONS } from '../../src/domain/naming.js';
import { pullRequestMismatch } from '../../src/domain/pull-request-match.js';

const BRANCH = 'feature/provision-rds-orders';
const request = { db_name: 'orders', engine: 'mysql', environment: 'dev' } as const;
const recorded = {
  id: '01JD6Z3Q8W4M2N5P7R9T1V3X5Z',
  kind: 'create' as const,
  step: 1,
  request,
  pullRequest: { number: 7, url: 'https://github.example/pull/7', branch: BRANCH },
};
const notYetRecorded = { ...recorded, pullRequest: null };

describe('pullRequestMismatch: which merged or closed pull request settles a request', () => {
  it("accepts the request's own pull request: its branch and its recorded number", () => {
    expect(
      pullRequestMismatch(recorded, { number: 7, headBranch: BRANCH }, DEFAULT_GIT_CONVENTIONS),
    ).toBeNull();
  });

  it('refuses another number once one is recorded, and any other branch', () => {
    expect(pullRequestMismatch(recorded, { number: 4242, headBranch: BRANCH }, DEFAULT_GIT_CONVENTIONS)).toBe(
      "pull request #4242 is not the request's pull request #7",
    );
    expect(pullRequestMismatch(recorded, { number: 7, headBranch: 'patch-1' }, DEFAULT_GIT_CONVENTIONS)).toBe(
      `head branch patch-1 is not the request's branch ${BRANCH}`,
    );
  });

  it('lets the branch decide before the worker has recorded a pull request', () => {
    expect(
      pullRequestMismatch(notYetRecorded, { number: 12, headBranch: BRANCH }, DEFAULT_GIT_CONVENTIONS),
    ).toBeNull();
    expect(
      pullRequestMismatch(
        notYetRecorded,
        { number: 12, headBranch: 'feature/provision-rds-order' },
        DEFAULT_GIT_CONVENTIONS,
      ),
    ).toMatch(/branch/);
  });

  it("follows the policy's branch template", () => {
    const conventions = { ...DEFAULT_GIT_CONVENTIONS, branch: 'rds/{db_name}' };
    expect(
      pullRequestMismatch(notYetRecorded, { number: 7, headBranch: 'rds/orders' }, conventions),
    ).toBeNull();
    expect(pullRequestMismatch(notYetRecorded, { number: 7, headBranch: BRANCH }, conventions)).toMatch(
      /branch/,
    );
    // A recorded pull request keeps the branch the worker used, whatever the template says now.
    expect(pullRequestMismatch(recorded, { number: 7, headBranch: BRANCH }, conventions)).toBeNull();
    expect(pullRequestMismatch(recorded, { number: 7, headBranch: 'rds/orders' }, conventions)).toMatch(
      /branch/,
    );
  });
});

describe('readGitHubEvent: a closed pull request from the configured repository only', () => {
  const target = { repository: 'acme/infra', base: 'main' };
  const marker = '<!-- rds-provisioner request-id: 0190a000-0000-7000-8000-000000000001 -->';
  const event = (pr: { repository?: string; head?: string | null; base?: string; body?: string | null }) => ({
    action: 'closed',
    repository: { full_name: pr.repository ?? 'acme/infra', private: true },
    pull_request: {
      number: 7,
      merged: true,
      body: pr.body === undefined ? marker : pr.body,
      head: { ref: BRANCH, repo: pr.head === null ? null : { full_name: pr.head ?? 'acme/infra' } },
      base: { ref: pr.base ?? 'main' },
    },
  });

  it('reads the request, the action, the number, the head branch and who merged it', () => {
    const merged = { ...event({}), sender: { login: 'octo-dba' } };
    expect(readGitHubEvent('pull_request', merged, target)).toEqual({
      kind: 'pull_request',
      requestId: '0190a000-0000-7000-8000-000000000001',
      action: 'merged',
      number: 7,
      headBranch: BRANCH,
      reportedBy: 'github:octo-dba',
    });
    // An event that names no one: recorded as an unknown GitHub user, never refused for it.
    expect(readGitHubEvent('pull_request', event({}), target)).toMatchObject({
      reportedBy: 'github:(unknown)',
    });
  });

  it.each([
    [
      'another repository',
      { repository: 'someone-else/unrelated' },
      'repository someone-else/unrelated is not acme/infra',
    ],
    ['a fork', { head: 'mallory/infra' }, 'pull request #7 comes from a fork'],
    ['a deleted fork', { head: null }, 'pull request #7 comes from a fork'],
    ['another base', { base: 'develop' }, 'base branch develop is not main'],
    ['no marker', { body: null }, 'pull request #7 names no request'],
  ] as const)('ignores %s, saying why', (_name, pr, reason) => {
    expect(readGitHubEvent('pull_request', event(pr), target)).toEqual({ kind: 'ignored', reason });
  });

  it('compares repository names case-insensitively', () => {
    expect(sameRepository('Acme/Infra', 'acme/INFRA')).toBe(true);
    expect(sameRepository('acme/infra', 'acme/infra2')).toBe(false);
    expect(
      readGitHubEvent('pull_request', event({ repository: 'ACME/infra', head: 'acme/Infra' }), target).kind,
    ).toBe('pull_request');
  });
});
