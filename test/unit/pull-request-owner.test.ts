import { describe, expect, it } from 'vitest';
import { foreignPullRequest, pullRequestInUseReason } from '../../src/domain/pull-request-owner.js';

describe('a pull request belongs to one request', () => {
  const branch = 'feature/provision-rds-orders';

  it("finds another request's open pull request, or one that names no request, and passes over its own", () => {
    const own = { number: 1, requestId: 'req_a' };
    const other = { number: 2, requestId: 'req_b' };
    const byHand = { number: 3, requestId: null };
    expect(foreignPullRequest([own], 'req_a')).toBeUndefined();
    expect(foreignPullRequest([], 'req_a')).toBeUndefined();
    expect(foreignPullRequest([own, other], 'req_a')).toBe(other);
    expect(foreignPullRequest([byHand], 'req_a')).toBe(byHand);
  });

  it('names the pull request, its request and the branch, and says what to do', () => {
    expect(pullRequestInUseReason({ number: 3, requestId: 'req_b' }, branch)).toBe(
      'pull request #3 (request req_b) is still open on feature/provision-rds-orders; merge or close it, then ask again',
    );
    expect(pullRequestInUseReason({ number: 4, requestId: null }, branch)).toBe(
      'pull request #4 (opened outside rds-provisioner) is still open on feature/provision-rds-orders; merge or close it, then ask again',
    );
  });
});
