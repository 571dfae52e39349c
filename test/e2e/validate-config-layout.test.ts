/**
 * The layout refusals of issue 11 through the real commands: a policy whose git layout could mix two
 * environments' states or two databases' roots, or whose environments miss (or wrongly give) an AWS
 * account, stops `serve` at start-up naming the key, creating nothing, and `validate-config` says the
 * same; a database name that would leave its root directory is refused over HTTP, writing nothing.
 * Runs the built CLI (`npx tsc -p tsconfig.json` first).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { DEFAULT_POLICY_PATH } from '../../src/runtime/policy-file.js';
import { runCli } from '../support/cli.js';
import { branches as branchesOf } from '../support/git-checks.js';
import { serverPerSuite, tempDir } from '../support/server.js';

/** The packaged (per-database) policy with edits, written to a file of its own. */
function policyFile(edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
  edit(doc);
  const file = join(tempDir('policy'), 'policy.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

const CASES: Array<[string, (doc: ReturnType<typeof parseDocument>) => void, string[]]> = [
  [
    'a state key that maps two environments to one key',
    (doc) => doc.setIn(['git', 'state_key'], 'rds/{db_name}/terraform.tfstate'),
    [
      'git.state_key: rds/{db_name}/terraform.tfstate maps two environments to one state key (dev and prod would share rds/orders/terraform.tfstate for a database named orders): it must contain {environment}',
    ],
  ],
  [
    'a file template that can put two databases in one root',
    (doc) => doc.setIn(['git', 'file'], 'terraform/live/{environment}/main-{db_name}.tf'),
    [
      'git.file: terraform/live/{environment}/main-{db_name}.tf can put two databases in one root (terraform/live/{environment}): with layout per-database, {db_name} must be a whole directory, e.g. terraform/live/{environment}/{db_name}/main.tf',
      "git.file: the file name in a database's root is fixed, e.g. main.tf, not main-{db_name}.tf",
    ],
  ],
  [
    'an environment without its account and network in the per-database layout',
    (doc) => {
      doc.deleteIn(['environments', 'staging', 'aws']);
      doc.deleteIn(['environments', 'staging', 'network']);
    },
    [
      'environments.staging.aws: is required with git.layout per-database: each root names its region (and the role to assume, if any)',
      "environments.staging.network: is required with git.layout per-database: each root spells out its environment's network",
    ],
  ],
  [
    'an account with the single root, which has one provider',
    (doc) => {
      doc.setIn(['git', 'layout'], 'single-root');
      for (const key of ['file', 'state_key', 'backend_config']) doc.deleteIn(['git', key]);
      doc.deleteIn(['default_tags']);
      for (const env of ['dev', 'staging']) doc.deleteIn(['environments', env, 'aws']);
    },
    [
      'environments.prod.aws: applies only to git.layout per-database: the single root has one provider, so one account and region',
    ],
  ],
  [
    // Once a TypeError at start-up: the layout was judged before the git section's defaults were filled.
    'a branch template without {db_name}, the file left to its per-database default',
    (doc) => {
      doc.setIn(['git', 'branch'], 'feature/provision-rds');
      doc.deleteIn(['git', 'file']);
    },
    ['git.branch: must contain {db_name}'],
  ],
];

describe('a policy with an unsound layout', () => {
  it.each(CASES)(
    '%s: serve refuses to start naming the key, and creates nothing',
    async (_label, edit, lines) => {
      const file = policyFile(edit);
      const dataDir = join(tempDir('refused'), 'data');
      const run = await runCli([
        'serve',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--data-dir',
        dataDir,
        '--config',
        file,
      ]);
      expect(run).toEqual({
        code: 2,
        stdout: '',
        stderr: [`invalid policy ${file}:`, ...lines, ''].join('\n'),
      });
      expect(existsSync(dataDir)).toBe(false);
    },
  );

  it.each(CASES)('%s: validate-config names the same key and exits 2', async (_label, edit, lines) => {
    const file = policyFile(edit);
    const run = await runCli(['validate-config', file]);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: [`invalid policy ${file}:`, ...lines, ''].join('\n'),
    });
  });
});

describe('POST /provision with a name that would leave its root directory (per-database layout)', () => {
  const suite = serverPerSuite();

  it.each([
    ['..', ['may contain only lowercase letters, digits and hyphens', 'must start with a lowercase letter']],
    [
      '../prod/orders',
      ['may contain only lowercase letters, digits and hyphens', 'must start with a lowercase letter'],
    ],
    ['a/b', ['may contain only lowercase letters, digits and hyphens']],
    ['orders/../../modules', ['may contain only lowercase letters, digits and hyphens']],
  ])('%j: 400 naming db_name, nothing recorded or written', async (dbName, messages) => {
    const before = branchesOf(suite.server.repo);
    const answer = await suite.call('POST', '/provision', {
      db_name: dbName,
      engine: 'postgres',
      environment: 'dev',
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('invalid_request');
    expect(answer.json.issues).toEqual(messages.map((message) => ({ path: 'db_name', message })));
    expect((await suite.call('GET', '/requests')).json.requests).toEqual([]);
    expect(branchesOf(suite.server.repo)).toEqual(before);
    expect(suite.server.output.join('\n')).not.toContain('unhandled error');
  });
});
