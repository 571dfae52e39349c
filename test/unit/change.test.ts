/**
 * The day-2 rules by example: engine version moves (src/domain/engine-version.ts), a change's checks and
 * tag merge patch (src/domain/change.ts), and who may retire a database and how it loses its protection
 * first (src/domain/retire.ts). test/unit/change-properties.test.ts states the same rules as properties.
 */
import { describe, expect, it } from 'vitest';
import { applyChange } from '../../src/domain/change.js';
import { compareVersions, versionMove } from '../../src/domain/engine-version.js';
import type { EnvironmentPolicy, Policy } from '../../src/domain/policy.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { keepsFinalSnapshot, retireRefusal, unprotectedSpec } from '../../src/domain/retire.js';
import type { AwsEngine } from '../../src/domain/spec.js';
import { packagedPolicy } from '../support/layouts.js';

const policy = packagedPolicy.policy;
const CREATED = 'req-create-1';
const CHANGE = 'req-change-2';
const RETIRE = 'req-retire-3';

function created(input: object, withPolicy: Policy = policy) {
  const result = resolveRequest({ db_name: 'orders', ...input }, withPolicy, { requestId: CREATED });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

const devServerless = () => created({ engine: 'mysql', environment: 'dev' });

/** The issues of a refused change, or a failure naming what was accepted. */
function refused(current: ReturnType<typeof created>, change: unknown, withPolicy: Policy = policy) {
  const result = applyChange(current, change, withPolicy, CHANGE);
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.value.change)}`);
  return result.issues;
}

function accepted(current: ReturnType<typeof created>, change: unknown, withPolicy: Policy = policy) {
  const result = applyChange(current, change, withPolicy, CHANGE);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.issues)}`);
  return result.value;
}

const paths = (issues: Array<{ path: string }>) => issues.map((i) => i.path);

describe('versionMove', () => {
  const cases: Array<[AwsEngine, string, string, ReturnType<typeof versionMove>]> = [
    ['mysql', '8.0', '8.4', 'major-upgrade'],
    ['mysql', '8.0.40', '8.0.41', 'minor-upgrade'],
    ['mysql', '8.0.40', '8.4.5', 'major-upgrade'],
    ['mysql', '5.7', '8.0', 'major-upgrade'],
    ['mysql', '8.4', '8.0', 'downgrade'],
    ['mysql', '8.0.41', '8.0.40', 'downgrade'],
    ['mysql', '8.0', '8.0', 'same'],
    ['aurora-mysql', '8.0.mysql_aurora.3.04.4', '8.0.mysql_aurora.3.08.2', 'minor-upgrade'],
    ['aurora-mysql', '8.0.mysql_aurora.3.08.2', '8.0.mysql_aurora.3.04.4', 'downgrade'],
    ['aurora-mysql', '8.0.mysql_aurora.3.08.2', '8.0.mysql_aurora.3.08.2', 'same'],
    ['aurora-mysql', '5.7.mysql_aurora.2.11.2', '8.0.mysql_aurora.3.04.4', 'major-upgrade'],
    ['postgres', '16', '17', 'major-upgrade'],
    ['postgres', '17.4', '17.5', 'minor-upgrade'],
    ['postgres', '17.9', '17.10', 'minor-upgrade'],
    ['postgres', '17', '16', 'downgrade'],
    ['postgres', '17.5', '17.4', 'downgrade'],
    ['aurora-postgresql', '16.9', '17.5', 'major-upgrade'],
    ['aurora-postgresql', '17.4', '17.5', 'minor-upgrade'],
    ['aurora-postgresql', '17.5', '16.9', 'downgrade'],
    ['mariadb', '10.11', '11.4', 'major-upgrade'],
    ['mariadb', '10.6', '10.11', 'major-upgrade'],
    ['mariadb', '11.4.4', '11.4.5', 'minor-upgrade'],
    ['mariadb', '11.4', '10.11', 'downgrade'],
  ];
  it.each(cases)('%s %s to %s is a %s', (engine, from, to, move) => {
    expect(versionMove(engine, from, to)).toBe(move);
  });

  it('compares the numbers of a version as numbers, not as text', () => {
    expect(compareVersions('17.10', '17.9')).toBeGreaterThan(0);
    expect(compareVersions('8.0.mysql_aurora.3.10.0', '8.0.mysql_aurora.3.9.0')).toBeGreaterThan(0);
    expect(compareVersions('3.04.4', '3.4.4')).toBe(0);
  });
});

describe('applyChange: engine versions', () => {
  const mysqlInstance = () =>
    created({ engine: 'mysql', environment: 'dev', deployment: 'instance', engine_version: '8.0' });

  it('refuses a major upgrade unless the change says so, and then allows it in the module', () => {
    const issues = refused(mysqlInstance(), { engine_version: '8.4' });
    expect(issues).toEqual([
      { path: 'engine_version', message: expect.stringContaining('"allow_major_version_upgrade": true') },
    ]);
    const outcome = accepted(mysqlInstance(), { engine_version: '8.4', allow_major_version_upgrade: true });
    expect(outcome.spec.engineVersion).toBe('8.4');
    expect(outcome.spec.allowMajorVersionUpgrade).toBe(true);
  });

  it('takes a minor Aurora MySQL upgrade without the flag', () => {
    const current = created({
      engine: 'mysql',
      environment: 'dev',
      engine_version: '8.0.mysql_aurora.3.04.4',
    });
    const outcome = accepted(current, { engine_version: '8.0.mysql_aurora.3.08.2' });
    expect(outcome.spec.allowMajorVersionUpgrade).toBe(false);
  });

  it('refuses a downgrade, even with the flag', () => {
    const current = created({ engine: 'postgres', environment: 'dev', deployment: 'aurora' });
    const issues = refused(current, { engine_version: '16.9', allow_major_version_upgrade: true });
    expect(issues).toEqual([
      { path: 'engine_version', message: expect.stringContaining('cannot downgrade') },
    ]);
  });
});

describe('applyChange: tags as a merge patch', () => {
  const tagged = () =>
    created({ engine: 'mysql', environment: 'dev', tags: { app: 'orders', team: 'payments' } });

  it('sets a tag with a string and removes one with null, keeping the service tags', () => {
    const outcome = accepted(tagged(), { tags: { team: null, tier: 'gold' } });
    expect(outcome.request.tags).toEqual({ app: 'orders', tier: 'gold' });
    expect(outcome.spec.tags).toEqual({
      app: 'orders',
      environment: 'dev',
      'managed-by': 'rds-provisioner',
      owner: 'unassigned',
      'request-id': CREATED,
      tier: 'gold',
    });
  });

  it('removing every requester tag leaves the request without tags', () => {
    const outcome = accepted(tagged(), { tags: { app: null, team: null } });
    expect(outcome.request.tags).toBeUndefined();
  });

  it('refuses the keys the service sets, in any case, and keys AWS reserves', () => {
    const issues = refused(tagged(), { tags: { owner: 'x', Environment: 'x', 'aws:cost': 'x', ok: 'y' } });
    expect(paths(issues).sort()).toEqual(['tags.Environment', 'tags.aws:cost', 'tags.owner']);
  });

  it('refuses a patch that leaves more than 20 tags', () => {
    const twenty = Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`k${i}`, 'v']));
    expect(paths(refused(tagged(), { tags: twenty }))).toEqual(['tags']);
    // 19 more plus app and team is 21; removing one of them keeps it at 20.
    expect(accepted(tagged(), { tags: { ...twenty, team: null } }).request.tags).toHaveProperty('k18');
  });

  it('refuses a tag key that no object can hold instead of dropping it', () => {
    const issues = refused(tagged(), JSON.parse('{"tags": {"__proto__": "x", "tier": "gold"}}'));
    expect(paths(issues)).toEqual(['tags.__proto__']);
  });

  it('refuses a __proto__ field instead of ignoring it', () => {
    const issues = refused(tagged(), JSON.parse('{"__proto__": {"size": "medium"}, "size": "medium"}'));
    expect(paths(issues)).toEqual(['__proto__']);
  });

  it('a patch that sets what is there, or removes what is not, changes nothing', () => {
    for (const tags of [{ app: 'orders' }, { gone: null }])
      expect(refused(tagged(), { tags })).toEqual([
        { path: '(body)', message: expect.stringContaining('changes nothing') },
      ]);
  });
});

describe('applyChange: every problem in one answer', () => {
  it('names a field no change may move and a setting the environment refuses together', () => {
    const issues = refused(devServerless(), { engine: 'postgres', instances: 3 });
    expect(paths(issues).sort()).toEqual(['engine', 'instances']);
  });

  it('names a malformed field and a rule another field breaks together', () => {
    const current = created({ engine: 'postgres', environment: 'dev', deployment: 'aurora' });
    const issues = refused(current, { size: 'huge', engine_version: '16.9' });
    expect(paths(issues).sort()).toEqual(['engine_version', 'size']);
  });

  it('names only the malformed field when nothing else is named', () => {
    expect(paths(refused(devServerless(), { size: 'huge' }))).toEqual(['size']);
  });

  it('refuses an environment that is no longer in the policy instead of changing unchecked', () => {
    const current = created({ engine: 'mysql', environment: 'staging' });
    const { staging: _, ...rest } = policy.environments;
    const withoutStaging: Policy = { ...policy, environments: rest };
    const issues = refused(current, { size: 'xlarge' }, withoutStaging);
    expect(issues).toEqual([
      { path: 'environment', message: expect.stringContaining('staging is no longer configured') },
    ]);
  });
});

describe('retireRefusal', () => {
  const env = (retire: EnvironmentPolicy['retire']): EnvironmentPolicy => ({
    ...(policy.environments.prod as EnvironmentPolicy),
    retire,
  });

  it('refuses everyone where the policy does not allow retiring, naming the key', () => {
    const refusal = retireRefusal(env({ allowed: false, owner_only: false }), 'prod', 'alice', 'alice');
    expect(refusal).toContain('environments.prod.retire.allowed');
  });

  it('lets only whoever asked retire where owner_only is set', () => {
    const ownerOnly = env({ allowed: true, owner_only: true });
    expect(retireRefusal(ownerOnly, 'prod', 'alice', 'alice')).toBeNull();
    expect(retireRefusal(ownerOnly, 'prod', 'bob', 'alice')).toContain('environments.prod.retire.owner_only');
  });

  it('refuses under owner_only when the service has no record of who asked', () => {
    expect(retireRefusal(env({ allowed: true, owner_only: true }), 'prod', 'alice', null)).toContain(
      'no record of who asked',
    );
  });

  it('lets anyone retire where the policy allows it without owner_only', () => {
    expect(retireRefusal(env({ allowed: true, owner_only: false }), 'prod', 'bob', null)).toBeNull();
  });
});

describe('unprotectedSpec', () => {
  const envs = policy.environments as Record<string, EnvironmentPolicy>;

  it('turns deletion protection off and keeps the final snapshot on where protection is on', () => {
    const { spec } = created({ engine: 'postgres', environment: 'staging' });
    expect(spec.deletionProtection).toBe(true);
    expect(unprotectedSpec(spec, envs.staging as EnvironmentPolicy, RETIRE)).toEqual({
      ...spec,
      requestId: RETIRE,
      deletionProtection: false,
      skipFinalSnapshot: false,
    });
  });

  it('turns a final snapshot on where the policy keeps one and the file skips it', () => {
    const { spec } = devServerless();
    const keeps: EnvironmentPolicy = {
      ...(envs.dev as EnvironmentPolicy),
      retire: { allowed: true, owner_only: false, final_snapshot: true },
    };
    expect(keepsFinalSnapshot(keeps)).toBe(true);
    expect(unprotectedSpec(spec, keeps, RETIRE)).toEqual({
      ...spec,
      requestId: RETIRE,
      skipFinalSnapshot: false,
    });
  });

  it('needs no first step where nothing protects the database and no snapshot is kept', () => {
    const { spec } = devServerless();
    expect(keepsFinalSnapshot(envs.dev as EnvironmentPolicy)).toBe(false);
    expect(unprotectedSpec(spec, envs.dev as EnvironmentPolicy, RETIRE)).toBeNull();
  });

  it('needs no first step where the snapshot is already on and nothing protects the database', () => {
    const { spec } = created({ engine: 'postgres', environment: 'staging' });
    const unprotected = { ...spec, deletionProtection: false };
    expect(unprotectedSpec(unprotected, envs.staging as EnvironmentPolicy, RETIRE)).toBeNull();
  });
});
