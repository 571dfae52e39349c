import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import {
  capabilities,
  ENVIRONMENT_ACTIONS,
  type EnvironmentAction,
  mappedPrincipal,
  mayDo,
  mayInEnvironment,
  PERSON_ROLES,
  type Principal,
  type Role,
} from '../../src/domain/access.js';
import { isPrincipal } from '../../src/domain/iam-principal.js';
import { type Policy, parsePolicy } from '../../src/domain/policy.js';
import { DEFAULT_POLICY_PATH } from '../../src/runtime/policy-file.js';

/**
 * Who may do what: the packaged policy's access rules (defaults everywhere, prod with separate_duties)
 * and the policy's mapping of callers a runtime proves but gives no role (IAM, API keys, OIDC).
 */

const packagedText = readFileSync(DEFAULT_POLICY_PATH, 'utf8');

/** The packaged policy with some keys set, parsed as the service would load it. */
function policyWith(...edits: [path: (string | number)[], value: unknown][]): Policy {
  const doc = parseDocument(packagedText);
  for (const [path, value] of edits) doc.setIn(path, value);
  const parsed = parsePolicy(doc.toString(), 'test.yaml');
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return parsed.value.policy;
}

const packaged = policyWith();

const person = (id: string, role: Role, environments: string[] | null = null): Principal => ({
  id,
  role,
  environments,
  via: 'token',
});
const alice = person('alice', 'requester');
const bob = person('bob', 'approver');
const carol = person('carol', 'admin');
const pipeline = person('pipeline', 'pipeline');

const allowed = { allowed: true };
const reasonOf = (decision: { allowed: boolean; reason?: string }) => {
  if (decision.allowed) throw new Error('expected a refusal');
  return decision.reason;
};

describe('mayInEnvironment: the policy default roles per action', () => {
  // Defaults: request/change/retire every person's role, merge and close (someone else's) approver and admin.
  const expected: Record<EnvironmentAction, Role[]> = {
    request: ['requester', 'approver', 'admin'],
    change: ['requester', 'approver', 'admin'],
    retire: ['requester', 'approver', 'admin'],
    merge: ['approver', 'admin'],
    close: ['approver', 'admin'],
  };
  for (const env of ['dev', 'staging', 'prod'])
    for (const action of ENVIRONMENT_ACTIONS)
      for (const role of PERSON_ROLES)
        it(`${env}: ${role} ${expected[action].includes(role) ? 'may' : 'may not'} ${action} (someone else's request)`, () => {
          const decision = mayInEnvironment(person('dave', role), action, env, packaged, {
            requester: 'erin',
          });
          expect(decision.allowed).toBe(expected[action].includes(role));
        });

  it('names the rule and its key when a requester merges', () => {
    expect(reasonOf(mayInEnvironment(alice, 'merge', 'prod', packaged, { requester: 'erin' }))).toBe(
      'in prod a requester cannot merge a pull request (environments.prod.access.merge allows approver, admin)',
    );
  });

  it('follows a policy that narrows a list: only admins retire in staging, nobody requests in prod', () => {
    const policy = policyWith(
      [['environments', 'staging', 'access'], { retire: ['admin'] }],
      [['environments', 'prod', 'access'], { request: [] }],
    );
    expect(mayInEnvironment(bob, 'retire', 'staging', policy).allowed).toBe(false);
    expect(mayInEnvironment(carol, 'retire', 'staging', policy)).toEqual(allowed);
    expect(reasonOf(mayInEnvironment(carol, 'request', 'prod', policy))).toBe(
      'in prod an admin cannot ask for a database (environments.prod.access.request allows no role)',
    );
    // The keys left out keep their defaults.
    expect(mayInEnvironment(alice, 'change', 'staging', policy)).toEqual(allowed);
    expect(mayInEnvironment(bob, 'merge', 'prod', policy)).toEqual(allowed);
  });

  it('does not make admin implicit: an admin missing from a list is refused', () => {
    const policy = policyWith([['environments', 'dev', 'access'], { merge: ['approver'] }]);
    expect(reasonOf(mayInEnvironment(carol, 'merge', 'dev', policy))).toMatch(
      /environments\.dev\.access\.merge allows approver\)$/,
    );
  });
});

describe('mayInEnvironment: separation of duties', () => {
  it('refuses whoever asked for a prod database its merge, an admin too, naming separate_duties', () => {
    for (const who of [bob, carol])
      expect(reasonOf(mayInEnvironment(who, 'merge', 'prod', packaged, { requester: who.id }))).toBe(
        'in prod whoever asked for a database cannot merge its pull request (environments.prod.access.separate_duties)',
      );
  });

  it('lets a second person merge in prod', () => {
    expect(mayInEnvironment(bob, 'merge', 'prod', packaged, { requester: 'alice' })).toEqual(allowed);
  });

  it('lets whoever asked merge where separate_duties is off (dev, staging)', () => {
    for (const env of ['dev', 'staging'])
      expect(mayInEnvironment(bob, 'merge', env, packaged, { requester: 'bob' })).toEqual(allowed);
  });

  it('lets whoever asked close their own request, in prod too, but not someone else’s', () => {
    expect(mayInEnvironment(alice, 'close', 'prod', packaged, { requester: 'alice' })).toEqual(allowed);
    expect(mayInEnvironment(bob, 'close', 'prod', packaged, { requester: 'bob' })).toEqual(allowed);
    expect(reasonOf(mayInEnvironment(alice, 'close', 'prod', packaged, { requester: 'erin' }))).toBe(
      "in prod a requester cannot close someone else's pull request (environments.prod.access.merge allows approver, admin; whoever asked may close their own)",
    );
  });
});

describe('mayInEnvironment: scope, the pipeline, unknown environments', () => {
  const devApprover = person('bob', 'approver', ['dev']);

  it('holds a scoped role only in its environments, saying where it holds', () => {
    expect(mayInEnvironment(devApprover, 'merge', 'dev', packaged, { requester: 'alice' })).toEqual(allowed);
    expect(reasonOf(mayInEnvironment(devApprover, 'merge', 'prod', packaged, { requester: 'alice' }))).toBe(
      "bob's approver role holds in dev only; in prod bob may only read",
    );
    for (const action of ENVIRONMENT_ACTIONS)
      expect(mayInEnvironment(devApprover, action, 'staging', packaged, { requester: 'bob' }).allowed).toBe(
        false,
      );
    expect(mayDo(devApprover, 'read')).toEqual(allowed);
  });

  it('says so when a scope names no environment at all', () => {
    expect(reasonOf(mayInEnvironment(person('dave', 'admin', []), 'request', 'dev', packaged))).toBe(
      "dave's admin role holds in no environment; in dev dave may only read",
    );
  });

  it('lets the pipeline do nothing in an environment: it only reports', () => {
    for (const action of ENVIRONMENT_ACTIONS)
      expect(reasonOf(mayInEnvironment(pipeline, action, 'dev', packaged))).toMatch(
        /reports .* nothing else/,
      );
  });

  it('refuses an unknown environment without throwing, inherited names included', () => {
    for (const env of ['qa', 'constructor', 'toString', '__proto__'])
      expect(reasonOf(mayInEnvironment(carol, 'request', env, packaged))).toBe(
        `there is no environment ${env} in the policy; environments: dev, staging, prod`,
      );
  });
});

describe('mayDo: service actions', () => {
  const table: [Principal, Record<'read' | 'report' | 'manage_tokens' | 'read_audit', boolean>][] = [
    [alice, { read: true, report: false, manage_tokens: false, read_audit: false }],
    [bob, { read: true, report: false, manage_tokens: false, read_audit: true }],
    [carol, { read: true, report: false, manage_tokens: true, read_audit: true }],
    [pipeline, { read: false, report: true, manage_tokens: false, read_audit: false }],
  ];
  for (const [who, expected] of table)
    it(`${who.role}: ${JSON.stringify(expected)}`, () => {
      for (const [action, may] of Object.entries(expected))
        expect(mayDo(who, action as keyof typeof expected).allowed).toBe(may);
    });

  it('says who may instead', () => {
    expect(reasonOf(mayDo(alice, 'manage_tokens'))).toBe(
      'only an admin manages tokens; alice is a requester',
    );
    expect(reasonOf(mayDo(alice, 'read_audit'))).toBe(
      'only an approver or an admin reads the audit trail; alice is a requester',
    );
    expect(reasonOf(mayDo(bob, 'report'))).toBe('only a pipeline reports what CI did; bob is an approver');
  });

  it('lets an admin scoped to some environments read the audit but not manage tokens (a token can be for any)', () => {
    const devAdmin = person('carol', 'admin', ['dev']);
    expect(mayDo(devAdmin, 'read_audit')).toEqual(allowed);
    expect(reasonOf(mayDo(devAdmin, 'manage_tokens'))).toBe(
      "carol's admin role holds in dev only; managing tokens needs an admin in every environment (a token can be made for any)",
    );
  });
});

describe('mappedPrincipal: the policy maps callers to roles', () => {
  const ACCOUNT = '123456789012';
  const DBA_ROLE = `arn:aws:iam::${ACCOUNT}:role/teams/dba`;
  const DBA_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/dba/jane`;
  const mapped = policyWith([
    ['access'],
    {
      default_role: 'requester',
      principals: [
        { id: DBA_ROLE, role: 'approver', environments: ['prod'] },
        { id: DBA_SESSION, role: 'admin' },
        { id: 'api-key:k1', role: 'admin' },
        { id: 'oidc-subject-7', role: 'approver' },
      ],
    },
  ]);

  it('gives an IAM role’s session the role’s entry, the first match winning', () => {
    expect(mappedPrincipal(DBA_SESSION, 'iam', mapped)).toEqual({
      id: DBA_SESSION,
      role: 'approver',
      environments: ['prod'],
      via: 'iam',
    });
  });

  it('does not match a session of a same-named role in another account or partition', () => {
    for (const other of [
      'arn:aws:sts::999999999999:assumed-role/dba/jane',
      `arn:aws-cn:sts::${ACCOUNT}:assumed-role/dba/jane`,
      `arn:aws:sts::${ACCOUNT}:assumed-role/dba-readonly/jane`,
    ])
      expect(mappedPrincipal(other, 'iam', mapped)?.role).toBe('requester');
  });

  it('matches API keys and OIDC subjects by their exact id, and never by ARN rules', () => {
    expect(mappedPrincipal('api-key:k1', 'api_key', mapped)?.role).toBe('admin');
    expect(mappedPrincipal('api-key:k10', 'api_key', mapped)?.role).toBe('requester');
    expect(mappedPrincipal('oidc-subject-7', 'oidc', mapped)?.role).toBe('approver');
    expect(mappedPrincipal(DBA_SESSION, 'oidc', mapped)?.role).toBe('admin');
  });

  it('takes an OIDC claimed role when no entry maps the subject, a mapped entry first', () => {
    expect(mappedPrincipal('someone', 'oidc', mapped, 'approver')).toEqual({
      id: 'someone',
      role: 'approver',
      environments: null,
      via: 'oidc',
    });
    expect(mappedPrincipal('oidc-subject-7', 'oidc', mapped, 'admin')?.role).toBe('approver');
  });

  it('ignores a claimed role that is not a person’s (pipeline, unknown, inherited names)', () => {
    for (const claim of ['pipeline', 'superuser', 'constructor', ''])
      expect(mappedPrincipal('someone', 'oidc', mapped, claim)?.role).toBe('requester');
  });

  it('gives an unmapped caller the default role, or no principal when default_role is null', () => {
    expect(mappedPrincipal('arn:aws:iam::123456789012:user/x', 'iam', packaged)).toEqual({
      id: 'arn:aws:iam::123456789012:user/x',
      role: 'requester',
      environments: null,
      via: 'iam',
    });
    const closed = policyWith([['access'], { default_role: null }]);
    expect(mappedPrincipal('arn:aws:iam::123456789012:user/x', 'iam', closed)).toBeNull();
    expect(mappedPrincipal('someone', 'oidc', closed)).toBeNull();
    expect(mappedPrincipal('someone', 'oidc', closed, 'requester')?.role).toBe('requester');
  });
});

describe('isPrincipal: an IAM role matches its sessions', () => {
  it('matches the principal itself and sessions of a role, with or without a path', () => {
    expect(isPrincipal('arn:aws:iam::123456789012:user/alice', 'arn:aws:iam::123456789012:user/alice')).toBe(
      true,
    );
    expect(
      isPrincipal('arn:aws:sts::123456789012:assumed-role/ci/s1', 'arn:aws:iam::123456789012:role/a/b/ci'),
    ).toBe(true);
    expect(
      isPrincipal('arn:aws:sts::123456789012:assumed-role/ci/s1', 'arn:aws:iam::123456789012:role/ci'),
    ).toBe(true);
  });

  it('never matches a user by a role, or a role ARN by a session entry', () => {
    expect(isPrincipal('arn:aws:iam::123456789012:user/ci', 'arn:aws:iam::123456789012:role/ci')).toBe(false);
    expect(
      isPrincipal('arn:aws:iam::123456789012:role/ci', 'arn:aws:sts::123456789012:assumed-role/ci/s1'),
    ).toBe(false);
  });
});

describe('capabilities: what the web page offers and GET /whoami says', () => {
  it('gives a requester every request in every environment and no merge', () => {
    const caps = capabilities(alice, packaged);
    expect(caps.service).toEqual({ read: true, report: false, manage_tokens: false, read_audit: false });
    expect(Object.keys(caps.environments)).toEqual(['dev', 'staging', 'prod']);
    expect(caps.environments.prod).toEqual({
      request: true,
      change: true,
      retire: true,
      merge: false,
      close: false,
    });
  });

  it('gives a dev-scoped approver merges in dev and nothing elsewhere', () => {
    const caps = capabilities(person('bob', 'approver', ['dev']), packaged);
    expect(caps.service).toEqual({ read: true, report: false, manage_tokens: false, read_audit: true });
    expect(caps.environments.dev).toEqual({
      request: true,
      change: true,
      retire: true,
      merge: true,
      close: true,
    });
    const nothing = { request: false, change: false, retire: false, merge: false, close: false };
    expect(caps.environments.staging).toEqual(nothing);
    expect(caps.environments.prod).toEqual(nothing);
  });

  it('gives the pipeline the reports and nothing else', () => {
    const caps = capabilities(pipeline, packaged);
    expect(caps.service).toEqual({ read: false, report: true, manage_tokens: false, read_audit: false });
    for (const env of Object.values(caps.environments)) expect(Object.values(env)).not.toContain(true);
  });
});
