import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChange, type CurrentDatabase } from '../../src/domain/change.js';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { ROOT } from '../support/cli.js';
import { createdDatabase } from '../support/database-life.js';
import { parseHcl } from '../support/hcl.js';
import { packagedPolicy } from '../support/layouts.js';

describe('terraform/modules/rds/README.md', () => {
  it('has Inputs and Outputs tables that match variables.tf and outputs.tf', () => {
    const run = spawnSync(
      process.execPath,
      ['scripts/module-readme.mjs', 'terraform/modules/rds', '--check'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(run.stderr, 'regenerate with: npm run docs:module').toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('README tables match');
  });
});

/**
 * The README's "Changes in place and replacements" against the code: every module input a change moves
 * (found by rendering databases before and after each kind of change the service accepts) is one the
 * README says updates in place, and none of them is one it says forces a replacement, but `deployment`,
 * which replaces only to or from `instance`: a move the service refuses as a migration.
 */
describe('terraform/modules/rds/README.md: changes in place and replacements', () => {
  const README = readFileSync(join(ROOT, 'terraform/modules/rds/README.md'), 'utf8');
  const CHANGE_ID = '01JD7A0000CHANGE0000000000';
  const { policy } = packagedPolicy;

  /** The section's subsection text under a heading starting with `title`. */
  function subsection(title: string): string {
    const start = README.indexOf('\n## Changes in place and replacements\n');
    expect(start, 'the README has a section "Changes in place and replacements"').toBeGreaterThan(-1);
    const end = README.indexOf('\n## ', start + 1);
    const section = README.slice(start, end === -1 ? undefined : end);
    const at = section.indexOf(`\n### ${title}`);
    expect(at, `the section has a subsection "${title}"`).toBeGreaterThan(-1);
    const next = section.indexOf('\n### ', at + 1);
    return section.slice(at, next === -1 ? undefined : next);
  }

  /** The module inputs a table names in its first column (backticked names that are declared variables). */
  function inputsOfTable(text: string, variables: Set<string>): Set<string> {
    const names = new Set<string>();
    for (const line of text.split('\n')) {
      const first = /^\| ([^|]+) \|/.exec(line)?.[1] ?? '';
      for (const [, name] of first.matchAll(/`([a-z_]+)`/g))
        if (variables.has(name as string)) names.add(name as string);
    }
    return names;
  }

  async function declaredVariables(): Promise<Set<string>> {
    const hcl = await parseHcl(
      'variables.tf',
      readFileSync(join(ROOT, 'terraform/modules/rds/variables.tf'), 'utf8'),
    );
    return new Set(Object.keys(hcl.variable as Record<string, unknown>));
  }

  async function moduleCall(spec: DatabaseSpec): Promise<Record<string, unknown>> {
    const hcl = await parseHcl('main.tf', renderTerraform(spec));
    return ((hcl.module as Record<string, Array<Record<string, unknown>>>)[spec.dbName] ?? [])[0] ?? {};
  }

  /** A created database, with what an older file wrote differently. */
  function created(request: object, written: Partial<DatabaseSpec> = {}): CurrentDatabase {
    const database = createdDatabase(request, policy);
    return { ...database, spec: { ...database.spec, ...written } };
  }

  const prodAurora = {
    db_name: 'orders',
    engine: 'postgres',
    environment: 'prod',
    owner: 'team-orders',
    engine_version: '16.9',
  };
  const devServerless = {
    db_name: 'app',
    engine: 'mysql',
    environment: 'dev',
    engine_version: '8.0.mysql_aurora.3.04.4',
  };
  const stagingInstance = {
    db_name: 'cms',
    engine: 'mysql',
    environment: 'staging',
    deployment: 'instance',
    engine_version: '8.0',
  };
  /** Every kind of change the service accepts, on each deployment; one on a file written before apply_immediately. */
  const CHANGES: Array<[CurrentDatabase, object]> = [
    [created(prodAurora), { size: 'large' }],
    [created(prodAurora), { instances: 3 }],
    [created(prodAurora), { engine_version: '17.5', allow_major_version_upgrade: true }],
    [created(prodAurora), { owner: 'team-payments', tags: { app: 'orders' } }],
    [created(prodAurora), { deployment: 'aurora-serverless' }],
    [created(devServerless), { engine_version: '8.0.mysql_aurora.3.08.2' }],
    [
      created({ ...devServerless, engine: 'postgres', engine_version: '17.5' }),
      { size: 'medium', deployment: 'aurora' },
    ],
    [created(stagingInstance), { size: 'large' }],
    [created(stagingInstance), { engine_version: '8.4', allow_major_version_upgrade: true }],
    [created(prodAurora, { applyImmediately: null, finalSnapshotIdentifier: null }), { size: 'large' }],
  ];

  it('lists as updated in place every module input a change moves, and none of them as replaced but deployment to or from instance', async () => {
    const variables = await declaredVariables();
    const moved = new Set<string>();
    for (const [current, change] of CHANGES) {
      const outcome = applyChange(current, change, policy, CHANGE_ID);
      if (!outcome.ok) throw new Error(`${JSON.stringify(change)}: ${JSON.stringify(outcome.issues)}`);
      const before = await moduleCall(current.spec);
      const after = await moduleCall(outcome.value.spec);
      for (const key of new Set([...Object.keys(before), ...Object.keys(after)]))
        if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) moved.add(key);
    }
    expect(moved.size).toBeGreaterThan(8);
    const inPlace = inputsOfTable(subsection('Updated in place'), variables);
    const replaced = inputsOfTable(subsection('Replaced'), variables);
    expect(
      [...moved].filter((name) => !inPlace.has(name)).sort(),
      'moved by a change, not listed as in place',
    ).toEqual([]);
    expect([...moved].filter((name) => replaced.has(name))).toEqual(['deployment']);
    // The inputs that name, encrypt or key the database are among those it lists as replacing it.
    for (const name of ['name', 'engine', 'database_name', 'master_username', 'kms_key_id', 'subnet_ids'])
      expect(replaced, name).toContain(name);
  });

  it('holds to what it says the service refuses: engine, environment, db_name and instance to or from Aurora', () => {
    const refused = (current: CurrentDatabase, change: object) => {
      const outcome = applyChange(current, change, policy, CHANGE_ID);
      return outcome.ok ? [] : outcome.issues.map((i) => i.path);
    };
    expect(refused(created(prodAurora), { engine: 'mysql' })).toEqual(['engine']);
    expect(refused(created(prodAurora), { environment: 'staging' })).toEqual(['environment']);
    expect(refused(created(prodAurora), { db_name: 'orders-2' })).toEqual(['db_name']);
    // Also judged: the version, which an instance of the same engine would not run.
    expect(refused(created(prodAurora), { deployment: 'instance' })).toContain('deployment');
    expect(refused(created(stagingInstance), { deployment: 'aurora' })).toContain('deployment');
    const text = subsection('How rds-provisioner avoids replacements');
    for (const field of ['`engine`', '`environment`', '`db_name`', '`instance`'])
      expect(text).toContain(field);
  });
});
