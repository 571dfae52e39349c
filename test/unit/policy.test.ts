import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { DEFAULT_GIT_CONVENTIONS } from '../../src/domain/naming.js';
import { parsePolicy } from '../../src/domain/policy.js';
import { keepsFinalSnapshot } from '../../src/domain/retire.js';
import { DEFAULT_POLICY_PATH, loadPolicyFile, PolicyFileError } from '../../src/runtime/policy-file.js';

const defaultText = readFileSync(DEFAULT_POLICY_PATH, 'utf8');

/** The default policy with one key changed, as a platform team would edit it. */
function edited(path: (string | number)[], value: unknown): string {
  const doc = parseDocument(defaultText);
  if (value === undefined) doc.deleteIn(path);
  else doc.setIn(path, value);
  return doc.toString();
}

const issuesFor = (text: string) => {
  const result = parsePolicy(text, 'test.yaml');
  if (result.ok) throw new Error('expected an invalid policy');
  return result.issues;
};

describe('default policy', () => {
  const { policy } = loadPolicyFile(DEFAULT_POLICY_PATH);

  it('reproduces the policy table of DESIGN.md', () => {
    const row = (name: string) => {
      const env = policy.environments[name];
      if (!env) throw new Error(`missing ${name}`);
      return {
        defaultDeployment: env.deployments.default,
        instances: env.instances.default,
        minInstances: env.instances.min,
        deletionProtection: env.deletion_protection,
        backupDays: env.backup_retention_days,
        finalSnapshot: !env.skip_final_snapshot,
        monitoring: env.monitoring_interval,
        performanceInsights: env.performance_insights,
        ownerRequired: env.owner_required,
      };
    };
    expect(Object.keys(policy.environments)).toEqual(['dev', 'staging', 'prod']);
    expect(row('dev')).toEqual({
      defaultDeployment: 'aurora-serverless',
      instances: 1,
      minInstances: 1,
      deletionProtection: false,
      backupDays: 1,
      finalSnapshot: false,
      monitoring: 0,
      performanceInsights: false,
      ownerRequired: false,
    });
    expect(row('staging')).toEqual({
      defaultDeployment: 'aurora-serverless',
      instances: 1,
      minInstances: 1,
      deletionProtection: true,
      backupDays: 7,
      finalSnapshot: true,
      monitoring: 60,
      performanceInsights: true,
      ownerRequired: false,
    });
    expect(row('prod')).toEqual({
      defaultDeployment: 'aurora',
      instances: 2,
      minInstances: 2,
      deletionProtection: true,
      backupDays: 14,
      finalSnapshot: true,
      monitoring: 60,
      performanceInsights: true,
      ownerRequired: true,
    });
  });

  it('applies changes at once in dev and staging, and in the maintenance window in prod', () => {
    const applyImmediately = Object.fromEntries(
      Object.entries(policy.environments).map(([name, env]) => [name, env.apply_immediately]),
    );
    expect(applyImmediately).toEqual({ dev: true, staging: true, prod: false });
  });

  it('lets dev and staging retire, prod only whoever asked, with final snapshots as skip_final_snapshot says and always in prod', () => {
    const retire = Object.fromEntries(
      Object.entries(policy.environments).map(([name, env]) => [
        name,
        { ...env.retire, keepsFinalSnapshot: keepsFinalSnapshot(env) },
      ]),
    );
    expect(retire).toEqual({
      dev: { allowed: true, owner_only: false, keepsFinalSnapshot: false },
      staging: { allowed: true, owner_only: false, keepsFinalSnapshot: true },
      prod: { allowed: true, owner_only: true, final_snapshot: true, keepsFinalSnapshot: true },
    });
  });

  it('leaves the change and retire branches at their defaults, and says so in comments', () => {
    expect(policy.git).toMatchObject({
      change_branch: DEFAULT_GIT_CONVENTIONS.change_branch,
      retire_branch: DEFAULT_GIT_CONVENTIONS.retire_branch,
    });
    expect(defaultText).toContain(`# change_branch: ${DEFAULT_GIT_CONVENTIONS.change_branch}`);
    expect(defaultText).toContain(`# retire_branch: ${DEFAULT_GIT_CONVENTIONS.retire_branch}`);
  });

  it('offers MariaDB only as an instance and the engine generations the module supports', () => {
    expect(policy.engines.mariadb.aurora).toBeUndefined();
    expect(policy.engines.mariadb.instance?.allowed.every((v) => Number.parseFloat(v) >= 11.4)).toBe(true);
    expect(policy.engines.mysql.aurora?.default).toMatch(/^8\.0\.mysql_aurora\.3\./);
    expect(policy.engines.mysql.instance?.default).toBe('8.4');
    expect(policy.engines.postgres.aurora?.default).toMatch(/^17\./);
    expect(policy.engines.postgres.instance?.default).toBe('17');
  });
});

describe('policy validation names the bad key', () => {
  it.each<[string, (string | number)[], unknown, string]>([
    ['unknown key', ['environments', 'prod', 'owner_requird'], true, 'environments.prod.owner_requird'],
    [
      'bad type',
      ['environments', 'dev', 'backup_retention_days'],
      'one',
      'environments.dev.backup_retention_days',
    ],
    [
      'out of range',
      ['environments', 'dev', 'backup_retention_days'],
      36,
      'environments.dev.backup_retention_days',
    ],
    [
      'missing key',
      ['environments', 'staging', 'deletion_protection'],
      undefined,
      'environments.staging.deletion_protection',
    ],
    [
      'default outside allowed',
      ['environments', 'dev', 'sizes', 'default'],
      'xlarge',
      'environments.dev.sizes.default',
    ],
    ['min above max', ['environments', 'prod', 'instances', 'min'], 6, 'environments.prod.instances.min'],
    [
      'default below min',
      ['environments', 'prod', 'instances', 'default'],
      1,
      'environments.prod.instances.default',
    ],
    [
      'bad monitoring interval',
      ['environments', 'prod', 'monitoring_interval'],
      45,
      'environments.prod.monitoring_interval',
    ],
    [
      'bad log retention',
      ['environments', 'prod', 'log_retention_days'],
      100,
      'environments.prod.log_retention_days',
    ],
    [
      'bad window',
      ['environments', 'prod', 'backup_window'],
      '25:00-26:00',
      'environments.prod.backup_window',
    ],
    ['bad instance class', ['sizes', 'small', 'instance_class'], 'm5.large', 'sizes.small.instance_class'],
    [
      'ACU not a half step',
      ['sizes', 'small', 'serverless', 'max_capacity'],
      2.3,
      'sizes.small.serverless.max_capacity',
    ],
    [
      'version default not allowed',
      ['engines', 'postgres', 'instance', 'default'],
      '15',
      'engines.postgres.instance.default',
    ],
    [
      'mariadb on aurora',
      ['engines', 'mariadb', 'aurora'],
      { default: '11.4', allowed: ['11.4'] },
      'engines.mariadb.aurora',
    ],
    [
      'bad vpc',
      ['environments', 'prod', 'network'],
      { vpc_id: 'vpc-x', subnet_ids: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'] },
      'environments.prod.network.vpc_id',
    ],
    [
      'one subnet',
      ['environments', 'prod', 'network'],
      { vpc_id: 'vpc-0123456789abcdef0', subnet_ids: ['subnet-0123456789abcdef0'] },
      'environments.prod.network.subnet_ids',
    ],
    [
      'bad CIDR',
      ['environments', 'prod', 'network'],
      {
        vpc_id: 'vpc-0123456789abcdef0',
        subnet_ids: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
        allowed_cidr_blocks: ['10.0.0.0/33'],
      },
      'environments.prod.network.allowed_cidr_blocks[0]',
    ],
    ['bad environment name', ['environments', 'QA'], {}, 'environments.QA'],
    [
      'narrowed version outside the catalogue',
      ['environments', 'prod', 'engine_versions'],
      { postgres: { instance: { default: '15', allowed: ['15'] } } },
      'environments.prod.engine_versions.postgres.instance.allowed',
    ],
  ])('%s', (_label, path, value, key) => {
    const issues = issuesFor(edited(path, value));
    expect(issues.map((i) => i.path)).toContain(key);
  });

  it('reports YAML syntax errors and duplicate keys instead of guessing', () => {
    expect(issuesFor('version: 1\nversion: 1\n')[0]?.message).toMatch(/test\.yaml/);
    expect(issuesFor('environments: [')[0]?.path).toBe('(file)');
  });

  it('accepts JSON and an added environment with its own limits', () => {
    const doc = parseDocument(defaultText).toJS();
    doc.environments.qa = {
      ...doc.environments.dev,
      engines: ['postgres'],
      sizes: { default: 'medium', allowed: ['medium'] },
    };
    const result = parsePolicy(JSON.stringify(doc), 'policy.json');
    expect(result.ok && Object.keys(result.value.policy.environments)).toEqual([
      'dev',
      'staging',
      'prod',
      'qa',
    ]);
  });

  it('loadPolicyFile throws a PolicyFileError for a missing file', () => {
    expect(() => loadPolicyFile('/nonexistent/policy.yaml')).toThrow(PolicyFileError);
    expect(() => loadPolicyFile('/nonexistent/policy.yaml')).toThrow(/file not found/);
  });
});

describe('policy names are own keys, never prototype properties', () => {
  it.each([
    [
      'an environment named constructor',
      ['environments', 'constructor'],
      'environments.constructor',
      'constructor is a property every JavaScript object has; choose another environment name',
    ],
    [
      'an environment named __proto__',
      ['environments', '__proto__'],
      'environments.__proto__',
      'environment name __proto__ cannot be stored (it names the prototype of an object); choose another key',
    ],
  ])('refuses %s instead of reading or dropping it', (_label, path, key, message) => {
    const doc = parseDocument(defaultText).toJS();
    Object.defineProperty(doc.environments, path[1] as string, {
      value: doc.environments.dev,
      enumerable: true,
      configurable: true,
      writable: true,
    });
    expect(issuesFor(JSON.stringify(doc))).toEqual([{ path: key, message }]);
  });

  it('refuses reviewers for an environment that is only an object prototype property', () => {
    expect(issuesFor(edited(['pull_requests', 'reviewers', 'toString'], { users: ['octocat'] }))).toEqual([
      { path: 'pull_requests.reviewers.toString', message: 'toString is not a configured environment' },
    ]);
  });
});

describe('policy problems in plain words: the key path and what is expected', () => {
  it.each<[string, (string | number)[], unknown, string]>([
    [
      'a missing object',
      ['environments', 'prod', 'instances'],
      undefined,
      'environments.prod.instances: is required (an object with default, min and max)',
    ],
    [
      'a missing flag',
      ['environments', 'staging', 'deletion_protection'],
      undefined,
      'environments.staging.deletion_protection: is required (true or false)',
    ],
    [
      'text for a number',
      ['environments', 'dev', 'backup_retention_days'],
      'seven',
      'environments.dev.backup_retention_days: must be a whole number from 1 to 35, got "seven"',
    ],
    [
      'a number out of range',
      ['environments', 'dev', 'backup_retention_days'],
      36,
      'environments.dev.backup_retention_days: must be a whole number from 1 to 35, got 36',
    ],
    [
      'a fraction for a count',
      ['environments', 'dev', 'instances', 'min'],
      1.5,
      'environments.dev.instances.min: must be a whole number from 1 to 15, got 1.5',
    ],
    [
      'text for a flag',
      ['environments', 'prod', 'owner_required'],
      'yes-please',
      'environments.prod.owner_required: must be true or false, got "yes-please"',
    ],
    [
      'an unknown engine',
      ['environments', 'dev', 'engines'],
      ['oracle'],
      'environments.dev.engines[0]: must be one of: mysql, postgres, mariadb, got "oracle"',
    ],
    [
      'an empty list',
      ['environments', 'dev', 'engines'],
      [],
      'environments.dev.engines: must list at least 1 item',
    ],
    [
      'a typo in an allowed value',
      ['environments', 'dev', 'sizes', 'default'],
      'smal',
      'environments.dev.sizes.default: must be one of: small, medium, large, xlarge, got "smal"; did you mean small?',
    ],
    [
      'a misspelt key',
      ['environments', 'prod', 'instances', 'mx'],
      5,
      'environments.prod.instances.mx: is not a known key; allowed: default, min, max; did you mean max?',
    ],
    [
      'a text for a list',
      ['pull_requests', 'labels'],
      'rds',
      'pull_requests.labels: must be a list of text values, got "rds"',
    ],
    [
      'a capacity off the half step',
      ['sizes', 'small', 'serverless', 'max_capacity'],
      2.3,
      'sizes.small.serverless.max_capacity: must be a multiple of 0.5, got 2.3',
    ],
    [
      'a bad environment name',
      ['environments', 'QA'],
      {},
      'environments.QA: environment names are lowercase, e.g. dev',
    ],
    ['the wrong version', ['version'], 2, 'version: must be 1'],
  ])('%s', (_label, path, value, line) => {
    const lines = issuesFor(edited(path, value)).map((i) => `${i.path}: ${i.message}`);
    expect(lines).toContain(line);
  });

  it('names the file itself when it is not an object, and never shows zod wording', () => {
    expect(issuesFor('')).toEqual([
      {
        path: '(file)',
        message:
          'must be an object with version, git, default_tags, pull_requests, engines, sizes, environments and access, got nothing',
      },
    ]);
    const all = [
      ...issuesFor('version: 1'),
      ...issuesFor(edited(['environments', 'dev', 'owner_requird'], true)),
      ...issuesFor(edited(['environments', 'prod'], { engines: 'mysql', instances: { default: 'two' } })),
    ];
    expect(all.map((i) => i.message).join('\n')).not.toMatch(
      /Invalid input|expected \w+, received|Too (big|small)|Unrecognized key|Invalid (key|option)/,
    );
  });
});

describe('policy git layout: refused at start-up naming the key', () => {
  const lines = (text: string) => issuesFor(text).map((i) => `${i.path}: ${i.message}`);
  /** The packaged policy with its git section replaced. */
  const withGit = (git: Record<string, unknown>) => edited(['git'], git);
  /** The packaged policy as the original system's single root: no git section, no aws, no network. */
  const singleRootText = () => {
    const doc = parseDocument(defaultText);
    doc.deleteIn(['git']);
    doc.deleteIn(['default_tags']);
    for (const env of ['dev', 'staging', 'prod']) {
      doc.deleteIn(['environments', env, 'aws']);
      doc.deleteIn(['environments', env, 'network']);
    }
    return doc.toString();
  };

  it('keeps an existing policy without git.layout in the single root, with the original file', () => {
    const loaded = parsePolicy(singleRootText(), 'old.yaml');
    expect(loaded.ok && loaded.value.policy.git).toMatchObject({
      layout: 'single-root',
      file: 'terraform/live/{db_name}.tf',
      state_key: null,
      backend_config: null,
    });
  });

  it('gives per-database its own defaults for file, state key and backend file', () => {
    const loaded = parsePolicy(withGit({ layout: 'per-database' }), 'p.yaml');
    expect(loaded.ok && loaded.value.policy.git).toMatchObject({
      layout: 'per-database',
      file: 'terraform/live/{environment}/{db_name}/main.tf',
      state_key: 'rds-provisioner/{environment}/{db_name}/terraform.tfstate',
      backend_config: 'terraform/live/backend.hcl',
    });
  });

  it('refuses a state key that maps two environments to one key, naming git.state_key', () => {
    expect(lines(withGit({ layout: 'per-database', state_key: 'rds/{db_name}.tfstate' }))).toEqual([
      'git.state_key: rds/{db_name}.tfstate maps two environments to one state key (dev and prod would share rds/orders.tfstate for a database named orders): it must contain {environment}',
    ]);
  });

  it('refuses a file template that can put two databases in one root, naming git.file', () => {
    expect(
      lines(withGit({ layout: 'per-database', file: 'terraform/live/{environment}/{db_name}.tf' })),
    ).toEqual([
      'git.file: terraform/live/{environment}/{db_name}.tf can put two databases in one root (terraform/live/{environment}): with layout per-database, {db_name} must be a whole directory, e.g. terraform/live/{environment}/{db_name}/main.tf',
      "git.file: the file name in a database's root is fixed, e.g. main.tf, not {db_name}.tf",
    ]);
  });

  it('names a bad file, backend path, branch or layout in the git section instead of crashing on it', () => {
    expect(
      lines(withGit({ layout: 'per-database', file: 'terraform/../{environment}/{db_name}/main.tf' })),
    ).toContain('git.file: must stay inside the repository');
    expect(lines(withGit({ layout: 'per-database', backend_config: '/etc/backend.hcl' }))).toEqual([
      'git.backend_config: must be a relative path ending in .hcl, e.g. terraform/live/backend.hcl',
    ]);
    expect(lines(withGit({ layout: 'per-database', branch: 'feature/x' }))).toEqual([
      'git.branch: must contain {db_name}',
    ]);
    expect(lines(withGit({ layout: 'per-db' }))[0]).toMatch(/^git\.layout: .*single-root.*per-database/);
  });

  it('requires environments.<env>.aws and .network with per-database, naming each key', () => {
    const doc = parseDocument(defaultText);
    doc.deleteIn(['environments', 'staging', 'aws']);
    doc.deleteIn(['environments', 'prod', 'network']);
    expect(lines(doc.toString())).toEqual([
      'environments.staging.aws: is required with git.layout per-database: each root names its region (and the role to assume, if any)',
      "environments.prod.network: is required with git.layout per-database: each root spells out its environment's network",
    ]);
  });

  it('refuses environments.<env>.aws with the single root, which has one provider', () => {
    const doc = parseDocument(singleRootText());
    doc.setIn(['environments', 'prod', 'aws'], { region: 'eu-west-1' });
    expect(lines(doc.toString())).toEqual([
      'environments.prod.aws: applies only to git.layout per-database: the single root has one provider, so one account and region',
    ]);
  });

  it('refuses a bad region or role ARN, naming the key', () => {
    expect(lines(edited(['environments', 'prod', 'aws'], { region: 'Europe', role_arn: 'admin' }))).toEqual([
      'environments.prod.aws.region: must be an AWS Region name such as eu-west-1',
      'environments.prod.aws.role_arn: must be an IAM role ARN such as arn:aws:iam::123456789012:role/rds-provisioner-terraform',
    ]);
  });

  it('refuses default_tags the service sets, AWS reserves or the single root keeps in providers.tf', () => {
    expect(
      lines(edited(['default_tags'], { 'managed-by': 'me', 'aws:createdBy': 'x', 'cost center': 'ok' })),
    ).toEqual([
      'default_tags.managed-by: managed-by is set by the service',
      'default_tags.aws:createdBy: aws: tag keys are reserved by AWS',
    ]);
    const doc = parseDocument(singleRootText());
    doc.setIn(['default_tags'], { team: 'platform' });
    expect(lines(doc.toString())).toEqual([
      "default_tags: applies only to git.layout per-database: the single root's default_tags are in its providers.tf",
    ]);
  });
});

describe('policy lifecycle keys: apply_immediately, retire, change and retire branches', () => {
  const lines = (text: string) => issuesFor(text).map((i) => `${i.path}: ${i.message}`);
  /** The packaged policy without any of the lifecycle keys, as a policy written before them reads. */
  const withoutLifecycleKeys = () => {
    const doc = parseDocument(defaultText);
    for (const env of ['dev', 'staging', 'prod']) {
      doc.deleteIn(['environments', env, 'apply_immediately']);
      doc.deleteIn(['environments', env, 'retire']);
    }
    doc.deleteIn(['git', 'change_branch']);
    doc.deleteIn(['git', 'retire_branch']);
    return doc.toString();
  };

  it('gives a policy without them the defaults: changes wait for the maintenance window, anyone may retire, default branches', () => {
    const loaded = parsePolicy(withoutLifecycleKeys(), 'old.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const { policy } = loaded.value;
    for (const env of Object.values(policy.environments)) {
      expect(env.apply_immediately).toBe(false);
      expect(env.retire).toEqual({ allowed: true, owner_only: false });
      // Absent final_snapshot: a final snapshot exactly where skip_final_snapshot does not skip it.
      expect(keepsFinalSnapshot(env)).toBe(!env.skip_final_snapshot);
    }
    expect(policy.git.change_branch).toBe('feature/change-rds-{db_name}-{short_id}');
    expect(policy.git.retire_branch).toBe('feature/retire-rds-{db_name}-{short_id}');
  });

  it('refuses retire.final_snapshot false where deletion_protection is on, naming the key', () => {
    expect(lines(edited(['environments', 'prod', 'retire', 'final_snapshot'], false))).toEqual([
      'environments.prod.retire.final_snapshot: must be true where deletion_protection is on: a protected database keeps a final snapshot when retired',
    ]);
    // Without deletion protection (dev), a retirement may go without a final snapshot.
    expect(parsePolicy(edited(['environments', 'dev', 'retire', 'final_snapshot'], false), 'p.yaml').ok).toBe(
      true,
    );
  });

  it('refuses a change or retire branch without {short_id} or {db_name}, naming the key', () => {
    expect(lines(edited(['git', 'change_branch'], 'feature/change-rds-{db_name}'))).toEqual([
      'git.change_branch: must contain {db_name} and {short_id}',
    ]);
    expect(lines(edited(['git', 'retire_branch'], 'feature/retire-{short_id}'))).toEqual([
      'git.retire_branch: must contain {db_name} and {short_id}',
    ]);
    expect(lines(edited(['git', 'change_branch'], 'feature/{db_name}..{short_id}'))).toEqual([
      'git.change_branch: must give a valid git branch name',
    ]);
  });

  it('refuses a retire section with an unknown key or a text for a flag, naming the key', () => {
    expect(lines(edited(['environments', 'prod', 'retire', 'owner_onyl'], true))[0]).toMatch(
      /^environments\.prod\.retire\.owner_onyl: is not a known key; allowed: allowed, owner_only, final_snapshot; did you mean owner_only\?$/,
    );
    expect(lines(edited(['environments', 'dev', 'apply_immediately'], 'yes'))).toEqual([
      'environments.dev.apply_immediately: must be true or false, got "yes"',
    ]);
  });
});
