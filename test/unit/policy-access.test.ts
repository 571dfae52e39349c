import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { MAX_PRINCIPALS, parsePolicy } from '../../src/domain/policy.js';
import { DEFAULT_POLICY_PATH } from '../../src/runtime/policy-file.js';

/**
 * The policy's access sections: the top-level `access` (default_role, principals) and each
 * environment's `access` (who may request, change, retire, merge; separate_duties). Bad ones are
 * refused at start-up naming every bad key in one answer; a policy without them keeps its meaning.
 */

const packagedText = readFileSync(DEFAULT_POLICY_PATH, 'utf8');

/** The packaged policy with some keys set (undefined: removed), as a platform team would edit it. */
function edited(...edits: [path: (string | number)[], value: unknown][]): string {
  const doc = parseDocument(packagedText);
  for (const [path, value] of edits) {
    if (value === undefined) doc.deleteIn(path);
    else doc.setIn(path, value);
  }
  return doc.toString();
}

const parsed = (text: string) => {
  const result = parsePolicy(text, 'test.yaml');
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return result.value.policy;
};

const problems = (text: string) => {
  const result = parsePolicy(text, 'test.yaml');
  if (result.ok) throw new Error('expected an invalid policy');
  return result.issues.map((i) => `${i.path}: ${i.message}`);
};

const DEFAULTS = {
  request: ['requester', 'approver', 'admin'],
  change: ['requester', 'approver', 'admin'],
  retire: ['requester', 'approver', 'admin'],
  merge: ['approver', 'admin'],
  separate_duties: false,
};

describe('policy access: defaults', () => {
  it('separates duties in the packaged prod only, with the default roles everywhere', () => {
    const policy = parsed(packagedText);
    expect(policy.environments.dev?.access).toEqual(DEFAULTS);
    expect(policy.environments.staging?.access).toEqual(DEFAULTS);
    expect(policy.environments.prod?.access).toEqual({ ...DEFAULTS, separate_duties: true });
    expect(policy.access).toEqual({ default_role: 'requester', principals: [] });
  });

  it('gives a policy without any access key the defaults: everyone a requester, nothing separated', () => {
    const policy = parsed(edited([['environments', 'prod', 'access'], undefined]));
    expect(policy.environments.prod?.access).toEqual(DEFAULTS);
    expect(policy.access).toEqual({ default_role: 'requester', principals: [] });
  });

  it('fills the keys an environment leaves out, and takes default_role null and scoped principals', () => {
    const policy = parsed(
      edited(
        [['environments', 'dev', 'access'], { merge: ['admin'] }],
        [
          ['access'],
          {
            default_role: null,
            principals: [
              { id: 'arn:aws:iam::123456789012:role/dba', role: 'approver', environments: ['prod'] },
              { id: 'api-key:abc', role: 'admin' },
            ],
          },
        ],
      ),
    );
    expect(policy.environments.dev?.access).toEqual({ ...DEFAULTS, merge: ['admin'] });
    expect(policy.access.default_role).toBeNull();
    expect(policy.access.principals).toEqual([
      { id: 'arn:aws:iam::123456789012:role/dba', role: 'approver', environments: ['prod'] },
      { id: 'api-key:abc', role: 'admin' },
    ]);
  });
});

describe('policy access: refused at start-up naming the key', () => {
  it('names an unknown role and lists the roles, and says pipeline is not the policy’s to give', () => {
    expect(
      problems(
        edited([
          ['environments', 'dev', 'access', 'merge'],
          ['approver', 'owner'],
        ]),
      ),
    ).toEqual([
      'environments.dev.access.merge[1]: must be a role: one of requester, approver, admin, got "owner"',
    ]);
    expect(problems(edited([['access'], { default_role: 'pipeline' }]))).toEqual([
      "access.default_role: pipeline is CI's role (it reports and nothing else), given by the stack, not the policy; roles: requester, approver, admin",
    ]);
  });

  it('refuses a principal scoped to an environment the policy does not have, inherited names too', () => {
    expect(
      problems(
        edited([
          ['access', 'principals'],
          [{ id: 'alice', role: 'approver', environments: ['dev', 'qa', 'constructor'] }],
        ]),
      ),
    ).toEqual([
      'access.principals[0].environments[1]: qa is not a configured environment; environments: dev, staging, prod',
      'access.principals[0].environments[2]: constructor is not a configured environment; environments: dev, staging, prod',
    ]);
  });

  it('refuses a principal listed twice: the first match wins, so the second would never apply', () => {
    expect(
      problems(
        edited([
          ['access', 'principals'],
          [
            { id: 'alice', role: 'approver' },
            { id: 'alice', role: 'admin' },
          ],
        ]),
      ),
    ).toEqual([
      'access.principals[1].id: alice is listed already at access.principals[0]; the first match wins, so this entry would never apply',
    ]);
  });

  it(`refuses more than ${MAX_PRINCIPALS} principals, an empty or control-character id, and an empty scope`, () => {
    const many = Array.from({ length: MAX_PRINCIPALS + 1 }, (_, i) => ({ id: `p${i}`, role: 'requester' }));
    expect(problems(edited([['access', 'principals'], many]))).toEqual([
      `access.principals: must list at most ${MAX_PRINCIPALS} items`,
    ]);
    expect(
      problems(
        edited([
          ['access', 'principals'],
          [
            { id: '', role: 'admin' },
            { id: 'bad\nid', role: 'admin' },
            { id: 'x', role: 'admin', environments: [] },
          ],
        ]),
      ),
    ).toEqual([
      'access.principals[0].id: must be at least 1 character long',
      'access.principals[1].id: must not contain control characters',
      'access.principals[2].environments: must list at least 1 item',
    ]);
  });

  it('refuses an ARN id that is no IAM user, role or role session (it would never match a caller)', () => {
    expect(
      problems(
        edited([
          ['access', 'principals'],
          [
            { id: 'arn:aws:iam::123456789012:role/dba', role: 'approver' },
            { id: 'arn:aws:iam::123456789012:user/ops/alice', role: 'approver' },
            { id: 'arn:aws:sts::123456789012:assumed-role/dba/jane', role: 'admin' },
            { id: 'arn:aws:iam:123456789012:role/dba', role: 'approver' },
            { id: 'arn:aws:iam::12345:role/dba', role: 'approver' },
            { id: 'arn:aws:s3:::bucket', role: 'approver' },
          ],
        ]),
      ),
    ).toEqual(
      [3, 4, 5].map(
        (i) =>
          `access.principals[${i}].id: must be an IAM role or user ARN (arn:aws:iam::123456789012:role/dba) or a role session's (arn:aws:sts::123456789012:assumed-role/dba/jane)`,
      ),
    );
  });

  it('names a misspelt key and a text for a flag', () => {
    expect(
      problems(
        edited(
          [['access'], { principal: [] }],
          [['environments', 'prod', 'access', 'separate_duties'], 'yes'],
          [['environments', 'prod', 'access', 'merges'], ['admin']],
        ),
      ),
    ).toEqual([
      'environments.prod.access.separate_duties: must be true or false, got "yes"',
      'environments.prod.access.merges: is not a known key; allowed: request, change, retire, merge, separate_duties; did you mean merge?',
      'access.principal: is not a known key; allowed: default_role, principals; did you mean principals?',
    ]);
  });

  it('names every problem of the access sections in one answer, beside the rest of the policy’s', () => {
    const all = problems(
      edited(
        [
          ['environments', 'dev', 'access', 'request'],
          ['requester', 'guest'],
        ],
        [['environments', 'prod', 'access', 'merge'], ['pipeline']],
        [['environments', 'staging', 'instances', 'min'], 'two'],
        [
          ['access'],
          {
            default_role: 'root',
            principals: [
              { id: 'bob', role: 'approver', environments: ['qa'] },
              { id: 'carol', role: 'superuser' },
            ],
          },
        ],
      ),
    );
    expect(all).toHaveLength(6);
    expect(all).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^environments\.dev\.access\.request\[1\]: .*got "guest"$/),
        expect.stringMatching(/^environments\.prod\.access\.merge\[0\]: pipeline is CI's role/),
        'environments.staging.instances.min: must be a whole number from 1 to 15, got "two"',
        expect.stringMatching(/^access\.default_role: must be a role: .*got "root"$/),
        expect.stringMatching(/^access\.principals\[1\]\.role: must be a role: .*got "superuser"$/),
        'access.principals[0].environments[0]: qa is not a configured environment; environments: dev, staging, prod',
      ]),
    );
  });
});
