import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GIT_CONVENTIONS,
  dbNameFromAnyBranch,
  requestBranch,
  shortId,
} from '../../src/domain/naming.js';
import { pullRequestMismatch, stepBranches } from '../../src/domain/pull-request-match.js';
import type { RequestRecord } from '../../src/domain/status.js';

const id = '01JD6Z3Q8W4M2N5P7R9T1V3X5Z';
const record = (kind: RequestRecord['kind'], step = 1, branch?: string) =>
  ({
    id,
    kind,
    step,
    request: { db_name: 'my-db', engine: 'mysql', environment: 'dev' },
    pullRequest: branch ? { number: 7, url: 'u', branch } : null,
  }) as Pick<RequestRecord, 'id' | 'kind' | 'step' | 'request' | 'pullRequest'>;

describe('request branches', () => {
  it('gives each kind its branch: the creation template, or a change or retirement with the short id', () => {
    expect(requestBranch({ id, kind: 'create', dbName: 'my-db' })).toBe('feature/provision-rds-my-db');
    expect(requestBranch({ id, kind: 'change', dbName: 'my-db' })).toBe('feature/change-rds-my-db-9t1v3x5z');
    expect(requestBranch({ id, kind: 'retire', dbName: 'my-db', unprotect: true })).toBe(
      'feature/retire-rds-my-db-9t1v3x5z-unprotect',
    );
  });

  it('names two changes asked within the same minute apart: the short id is the random tail of a UUIDv7', () => {
    const first = '019af0c2-1234-7abc-8def-0123456789ab';
    const second = '019af0c2-9999-7abc-8def-fedcba987654';
    expect(shortId(first)).not.toBe(shortId(second));
    expect(shortId(first)).toMatch(/^[0-9a-z]{8}$/);
    expect(shortId('run_7.ab-x')).toBe('run7abx');
  });

  it('reads the database back from any request branch, and nothing from another branch', () => {
    for (const kind of ['create', 'change', 'retire'] as const)
      expect(dbNameFromAnyBranch(requestBranch({ id, kind, dbName: 'a-b-c' }))).toBe('a-b-c');
    expect(dbNameFromAnyBranch('feature/retire-rds-a-b-c-9t1v3x5z-unprotect')).toBe('a-b-c');
    for (const other of ['main', 'feature/change-rds-x', 'feature/change-rds-x/y-9t1v3x5z', 'patch-1'])
      expect(dbNameFromAnyBranch(other, DEFAULT_GIT_CONVENTIONS)).toBeNull();
  });

  it("settles a retirement's step only from that step's branches: a replayed step-1 merge moves nothing at step 2", () => {
    const unprotect = 'feature/retire-rds-my-db-9t1v3x5z-unprotect';
    const remove = 'feature/retire-rds-my-db-9t1v3x5z';
    expect(stepBranches(record('retire'), DEFAULT_GIT_CONVENTIONS)).toEqual([unprotect, remove]);
    expect(stepBranches(record('retire', 2, unprotect), DEFAULT_GIT_CONVENTIONS)).toEqual([remove]);
    expect(
      pullRequestMismatch(
        record('retire', 2, unprotect),
        { number: 7, headBranch: unprotect },
        DEFAULT_GIT_CONVENTIONS,
      ),
    ).toMatch(/not the request's branch/);
    expect(
      pullRequestMismatch(
        record('retire', 2, unprotect),
        { number: 8, headBranch: remove },
        DEFAULT_GIT_CONVENTIONS,
      ),
    ).toBeNull();
    expect(
      pullRequestMismatch(
        record('change', 1, 'feature/change-rds-my-db-9t1v3x5z'),
        { number: 9, headBranch: 'feature/change-rds-my-db-9t1v3x5z' },
        DEFAULT_GIT_CONVENTIONS,
      ),
    ).toMatch(/not the request's pull request #7/);
  });
});

describe('deployment changes of Aurora MySQL', () => {
  it('refuses aurora ↔ aurora-serverless for Aurora MySQL (Backtrack is set only at creation), allows it for PostgreSQL', async () => {
    const { applyChange } = await import('../../src/domain/change.js');
    const { resolveRequest } = await import('../../src/domain/resolve.js');
    const { packagedPolicy } = await import('../support/layouts.js');
    const policy = packagedPolicy.policy;
    for (const [engine, refused] of [
      ['mysql', true],
      ['postgres', false],
    ] as const) {
      const request = { db_name: 'bt', engine, environment: 'dev', deployment: 'aurora' } as const;
      const resolved = resolveRequest(request, policy, { requestId: id });
      if (!resolved.ok) throw new Error('unreachable');
      const outcome = applyChange(
        { request, spec: resolved.value.spec },
        { deployment: 'aurora-serverless' },
        policy,
        'r2',
      );
      if (refused)
        expect(outcome).toEqual({
          ok: false,
          issues: [{ path: 'deployment', message: expect.stringMatching(/Backtrack/) }],
        });
      else expect(outcome.ok).toBe(true);
    }
  });
});
