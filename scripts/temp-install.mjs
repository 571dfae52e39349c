// Installs one npm package at an exact version into a temporary directory, for the scripts that extract
// a fixture from a package too large to be a project dependency. The caller deletes `dir` afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** @returns {{ dir: string, packageDir: string }} */
export function installPackage(name, version, sizeNote) {
  const dir = mkdtempSync(join(tmpdir(), `${name.replace(/^@/, '').replace(/\//g, '-')}-`));
  console.error(`installing ${name}@${version} into ${dir}${sizeNote ? ` (${sizeNote})` : ''} ...`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(
    npm,
    [
      'install',
      '--no-save',
      '--prefix',
      dir,
      `${name}@${version}`,
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`npm install failed (exit ${result.status ?? result.signal})`);
  }
  return { dir, packageDir: join(dir, 'node_modules', ...name.split('/')) };
}
