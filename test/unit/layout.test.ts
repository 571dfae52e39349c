import { describe, expect, it } from 'vitest';
import {
  LAYOUT_DEFAULTS,
  type LayoutSettings,
  layoutDirectory,
  layoutProblems,
  locate,
  pathClassifier,
  possibleFiles,
} from '../../src/domain/layout.js';

const SINGLE = LAYOUT_DEFAULTS['single-root'];
const PER_DB = LAYOUT_DEFAULTS['per-database'];
const perDb = (overrides: Partial<LayoutSettings>): LayoutSettings => ({ ...PER_DB, ...overrides });
const single = (overrides: Partial<LayoutSettings>): LayoutSettings => ({ ...SINGLE, ...overrides });
/** Each problem as `git.<key>: message`, the way start-up names it. */
const problems = (settings: LayoutSettings) =>
  layoutProblems(settings).map((p) => `${p.path.join('.')}: ${p.message}`);

describe('locate', () => {
  it('puts a database in the one root as terraform/live/<db>.tf with the shared state (single-root)', () => {
    expect(locate(SINGLE, 'orders', 'prod')).toEqual({
      environment: 'prod',
      dbName: 'orders',
      root: 'terraform/live',
      file: 'terraform/live/orders.tf',
      moduleSource: '../modules/rds',
      stateKey: null,
      backendConfig: null,
    });
  });

  it('gives a database a root of its own with its own state key (per-database)', () => {
    expect(locate(PER_DB, 'orders', 'prod')).toEqual({
      environment: 'prod',
      dbName: 'orders',
      root: 'terraform/live/prod/orders',
      file: 'terraform/live/prod/orders/main.tf',
      moduleSource: '../../../modules/rds',
      stateKey: 'rds-provisioner/prod/orders/terraform.tfstate',
      backendConfig: '../../backend.hcl',
    });
  });

  it('follows custom templates: module source and backend file relative to the root', () => {
    const custom = perDb({
      file: 'infra/{db_name}/{environment}/db.tf',
      state_key: 'states/{db_name}.{environment}.tfstate',
      backend_config: 'infra/shared/backend.hcl',
    });
    expect(locate(custom, 'billing', 'dev')).toMatchObject({
      root: 'infra/billing/dev',
      file: 'infra/billing/dev/db.tf',
      moduleSource: '../../../terraform/modules/rds',
      stateKey: 'states/billing.dev.tfstate',
      backendConfig: '../../shared/backend.hcl',
    });
    expect(locate(single({ file: 'terraform/{db_name}.tf' }), 'a', 'dev')).toMatchObject({
      root: 'terraform',
      moduleSource: './modules/rds',
    });
    expect(locate(single({ file: 'terraform/live/{environment}-{db_name}.tf' }), 'a', 'dev')).toMatchObject({
      root: 'terraform/live',
      file: 'terraform/live/dev-a.tf',
      moduleSource: '../modules/rds',
      stateKey: null,
    });
  });
});

describe('possibleFiles', () => {
  it('names one file per environment with a root per database, and one file for the single root', () => {
    expect(possibleFiles(PER_DB, 'orders', ['dev', 'staging', 'prod'])).toEqual([
      'terraform/live/dev/orders/main.tf',
      'terraform/live/staging/orders/main.tf',
      'terraform/live/prod/orders/main.tf',
    ]);
    expect(possibleFiles(SINGLE, 'orders', ['dev', 'staging', 'prod'])).toEqual(['terraform/live/orders.tf']);
    expect(
      possibleFiles(single({ file: 'terraform/live/{environment}-{db_name}.tf' }), 'a', ['dev', 'prod']),
    ).toEqual(['terraform/live/dev-a.tf', 'terraform/live/prod-a.tf']);
  });
});

describe('layoutDirectory', () => {
  it('is the single root itself, or the fixed directory above the per-database roots', () => {
    expect(layoutDirectory(SINGLE)).toBe('terraform/live');
    expect(layoutDirectory(single({ file: 'terraform/live/db-{db_name}.tf' }))).toBe('terraform/live');
    expect(layoutDirectory(PER_DB)).toBe('terraform/live');
    expect(layoutDirectory(perDb({ file: 'infra/dbs/{db_name}/x/{environment}/main.tf' }))).toBe('infra/dbs');
  });
});

describe('pathClassifier', () => {
  it('per-database: roots, shared files, stray Terraform and everything else', () => {
    const classify = pathClassifier(PER_DB);
    const root = (environment: string, dbName: string) => ({
      kind: 'database',
      environment,
      dbName,
      root: `terraform/live/${environment}/${dbName}`,
    });
    expect(classify('terraform/live/prod/orders/main.tf')).toEqual(root('prod', 'orders'));
    expect(classify('terraform/live/prod/orders/.terraform.lock.hcl')).toEqual(root('prod', 'orders'));
    expect(classify('terraform/live/dev/a1/notes/README.md')).toEqual(root('dev', 'a1'));
    expect(classify('terraform/modules/rds/main.tf')).toEqual({ kind: 'shared' });
    expect(classify('terraform/modules/rds/README.md')).toEqual({ kind: 'shared' });
    expect(classify('terraform/live/backend.hcl')).toEqual({ kind: 'shared' });
    for (const path of [
      'terraform/live/orders.tf',
      'terraform/live/providers.auto.tfvars',
      'terraform/live/dev/orders.tf',
      'terraform/live/dev/orders',
      'terraform/live/orders.tf.json',
    ])
      expect([path, classify(path).kind]).toEqual([path, 'stray']);
    for (const path of [
      'README.md',
      'terraform/live/README.md',
      'terraform/layouts/single-root/providers.tf',
      'src/x.tf',
      'terraform/live/Dev/Orders/main.tf.bak',
    ])
      expect([path, classify(path).kind]).toEqual([path, 'unrelated']);
  });

  it('per-database: reads a custom template with the database before the environment', () => {
    const classify = pathClassifier(perDb({ file: 'infra/{db_name}/{environment}/db.tf' }));
    expect(classify('infra/billing/dev/db.tf')).toEqual({
      kind: 'database',
      environment: 'dev',
      dbName: 'billing',
      root: 'infra/billing/dev',
    });
    expect(classify('infra/loose.tf').kind).toBe('stray');
    expect(classify('terraform/live/backend.hcl')).toEqual({ kind: 'shared' });
  });

  it('single-root: the root and the module are shared, everything else is unrelated', () => {
    const classify = pathClassifier(SINGLE);
    for (const path of [
      'terraform/live/orders.tf',
      'terraform/live/providers.auto.tfvars',
      'terraform/live/.terraform.lock.hcl',
      'terraform/modules/rds/variables.tf',
    ])
      expect([path, classify(path).kind]).toEqual([path, 'shared']);
    for (const path of ['terraform/live/README.md', 'terraform/live/dev/orders/main.tf', 'docs/x.tf'])
      expect([path, classify(path).kind]).toEqual([path, 'unrelated']);
  });
});

describe('layoutProblems: refused at start-up, naming the key', () => {
  it('accepts both default layouts', () => {
    expect(problems(SINGLE)).toEqual([]);
    expect(problems(PER_DB)).toEqual([]);
    expect(
      problems(perDb({ file: 'infra/{db_name}/{environment}/db.tf', state_key: '{environment}/{db_name}' })),
    ).toEqual([]);
  });

  it('refuses a state key that maps two environments, or two databases, to one key', () => {
    expect(problems(perDb({ state_key: 'rds/{db_name}/terraform.tfstate' }))).toEqual([
      'git.state_key: rds/{db_name}/terraform.tfstate maps two environments to one state key (dev and prod would share rds/orders/terraform.tfstate for a database named orders): it must contain {environment}',
    ]);
    expect(problems(perDb({ state_key: 'rds/{environment}.tfstate' }))).toEqual([
      'git.state_key: rds/{environment}.tfstate maps every database of an environment to one state key: it must contain {db_name}',
    ]);
    expect(problems(perDb({ state_key: null }))).toEqual([
      'git.state_key: is required with git.layout per-database',
    ]);
  });

  it('refuses a per-database file template that can put two databases in one root', () => {
    for (const file of [
      'terraform/live/{environment}/{db_name}.tf',
      'terraform/live/{environment}/db-{db_name}/main.tf',
    ])
      expect(
        problems(perDb({ file })).some((p) =>
          p.startsWith(`git.file: ${file} can put two databases in one root`),
        ),
      ).toBe(true);
    expect(problems(perDb({ file: 'terraform/live/{db_name}/main.tf' }))).toEqual([
      'git.file: terraform/live/{db_name}/main.tf does not say which environment a root belongs to: {environment} must be a whole directory, e.g. terraform/live/{environment}/{db_name}/main.tf',
    ]);
  });

  it('refuses misplaced or repeated placeholders, a templated file name and a root at the top', () => {
    expect(problems(perDb({ file: 'terraform/live/{environment}/{db_name}/{db_name}/main.tf' }))).toEqual([
      'git.file: placeholders in the directory must each be a whole directory name, and appear once',
    ]);
    expect(problems(perDb({ file: 'terraform/live/{environment}/{db_name}/{db_name}.tf' }))).toEqual([
      "git.file: the file name in a database's root is fixed, e.g. main.tf, not {db_name}.tf",
    ]);
    expect(problems(perDb({ file: '{environment}/{db_name}/main.tf' }))).toContain(
      'git.file: must start with a fixed directory, e.g. terraform/live/, so files outside the roots can be told apart',
    );
    expect(problems(perDb({ state_key: '{env}/{db_name}/{environment}' }))).toEqual([
      'git.state_key: {env} is not a placeholder; use {environment} and {db_name}',
    ]);
  });

  it('refuses databases inside or above the module, or a root template the module itself fits', () => {
    // Environment "modules", database "rds": the module's own directory would be a root.
    expect(problems(perDb({ file: 'terraform/{environment}/{db_name}/main.tf' }))).toContain(
      'git.file: terraform/{environment}/{db_name}/main.tf would make the module (terraform/modules/rds) a database root, for environment modules and database rds; start the roots in a directory of their own, e.g. terraform/live/{environment}/{db_name}/main.tf',
    );
    expect(problems(perDb({ file: 'terraform/modules/rds/{environment}/{db_name}/main.tf' }))).toContain(
      'git.file: must not put databases inside or above the module (terraform/modules/rds)',
    );
    expect(problems(single({ file: 'terraform/modules/rds/{db_name}.tf' }))).toContain(
      'git.file: must not put databases inside or above the module (terraform/modules/rds)',
    );
  });

  it('refuses a backend file inside a root, and backend settings without the per-database layout', () => {
    expect(problems(perDb({ backend_config: 'terraform/live/dev/shared/backend.hcl' }))).toEqual([
      "git.backend_config: terraform/live/dev/shared/backend.hcl is inside a database's root; put it beside the roots, e.g. terraform/live/backend.hcl",
    ]);
    expect(problems(perDb({ backend_config: null }))).toEqual([
      'git.backend_config: is required with git.layout per-database',
    ]);
    expect(
      problems(single({ state_key: 'a/{db_name}', backend_config: 'terraform/live/backend.hcl' })),
    ).toEqual([
      'git.state_key: applies only to git.layout per-database; the single root keeps its state key in its backend.tf',
      'git.backend_config: applies only to git.layout per-database',
    ]);
  });

  it('refuses a single-root template with a placeholder in the directory or none in the name', () => {
    expect(problems(single({ file: 'terraform/live/{environment}/{db_name}.tf' }))).toEqual([
      'git.file: with layout single-root every database is a file of one root directory: terraform/live/{environment} must not contain a placeholder (set git.layout: per-database for a root per database)',
    ]);
    expect(problems(single({ file: 'terraform/{db_name}/main.tf' }))[0]).toMatch(
      /^git\.file: with layout single-root/,
    );
  });
});
