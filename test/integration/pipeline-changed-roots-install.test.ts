/**
 * The pipelines' detect step installs with `npm ci --ignore-scripts` (no native builds) and builds with
 * tsc, then runs `rds-provisioner changed-roots`. So the CLI must start without better-sqlite3's native
 * binding: only `serve` needs the local runtime, and it loads it when it runs. The plan, apply and drift
 * jobs install the same way for `rds-provisioner report`. Here an installation is
 * laid out as that step leaves it (the built dist/, the packages, better-sqlite3 without its build, or
 * without the package at all) and the command is run in it for real.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const workspace = mkdtempSync(join(tmpdir(), 'pipeline-install-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

/** dist/ and bin/ copied (so modules resolve from here), every package linked but better-sqlite3. */
function installation(name: string, sqlite: 'without-build' | 'absent'): string {
  const dir = join(workspace, name);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  for (const path of ['dist', 'bin', 'package.json', 'config'])
    cpSync(join(root, path), join(dir, path), { recursive: true });
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === 'better-sqlite3') continue;
    symlinkSync(join(root, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
  if (sqlite === 'without-build') {
    // What `npm ci --ignore-scripts` leaves: the package, its JavaScript, no build/ with the binding.
    const pkg = join(dir, 'node_modules/better-sqlite3');
    mkdirSync(pkg);
    for (const path of ['package.json', 'lib'])
      cpSync(join(root, 'node_modules/better-sqlite3', path), join(pkg, path), { recursive: true });
  }
  return dir;
}

function repository(): string {
  const dir = join(workspace, 'repo');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  mkdirSync(join(dir, 'terraform/live/dev/orders'), { recursive: true });
  git('init', '-q', '-b', 'main');
  git(
    '-c',
    'user.email=ci@example.com',
    '-c',
    'user.name=ci',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'empty',
  );
  writeFileSync(join(dir, 'terraform/live/dev/orders/main.tf'), '# orders\n');
  git('add', '-A');
  git('-c', 'user.email=ci@example.com', '-c', 'user.name=ci', 'commit', '-q', '-m', 'orders');
  return dir;
}

const hasDist = spawnSync('test', ['-f', join(root, 'dist/cli/main.js')]).status === 0;

describe.skipIf(!hasDist)('rds-provisioner changed-roots after npm ci --ignore-scripts', () => {
  const repo = repository();
  const changedRoots = (install: string) =>
    spawnSync(
      process.execPath,
      [
        join(install, 'bin/rds-provisioner.js'),
        'changed-roots',
        '--config',
        join(install, 'config/policy.yaml'),
        '--repo',
        repo,
        '--base',
        'HEAD~1',
      ],
      { encoding: 'utf8' },
    );

  for (const sqlite of ['without-build', 'absent'] as const) {
    it(`runs with better-sqlite3 ${sqlite === 'absent' ? 'not installed at all' : 'installed without its native build'}`, () => {
      const run = changedRoots(installation(sqlite, sqlite));
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        layout: 'per-database',
        plan: [{ root: 'terraform/live/dev/orders', environment: 'dev', db_name: 'orders', prod: false }],
        destroy: [],
        problems: [],
      });
    });
  }

  // The plan, apply and drift jobs install the same way to run `rds-provisioner report`.
  it('rds-provisioner report reads, trims and sends a plan with better-sqlite3 installed without its native build', () => {
    const install = installation('report', 'without-build');
    const run = spawnSync(
      process.execPath,
      [
        join(install, 'bin/rds-provisioner.js'),
        'report',
        'plan',
        join(root, 'test/fixtures/terraform-json/aurora/create-plan.json'),
        '--branch',
        'feature/provision-rds-orders',
        '--pr',
        '1',
        '--commit',
        'a'.repeat(40),
      ],
      {
        encoding: 'utf8',
        // Nothing listens there: the command got as far as sending.
        env: {
          ...process.env,
          RDS_PROVISIONER_URL: 'http://127.0.0.1:9',
          RDS_PROVISIONER_PIPELINE_TOKEN: 't',
        },
      },
    );
    expect(run.stderr).toMatch(/^cannot reach the server at http:\/\/127\.0\.0\.1:9: /);
    expect(run.status).toBe(1);
  });
});
