/** Finding a repository on disk: its git directory, shared directory and object store. */
import { realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GitHostError } from '../../ports.js';
import { firstLine, runGit } from './git-process.js';

/** Where a repository lives: its git directory, shared directory, objects and whether it has a working tree. */
export interface RepositoryLocation {
  /** The path the caller named, resolved. */
  path: string;
  gitDir: string;
  commonDir: string;
  objectsDir: string;
  /** The main worktree is bare (no checkout whose HEAD we must respect). */
  mainBare: boolean;
}

/**
 * The repository at exactly `path` (a bare repository, or a working tree's top level), or null. Git does
 * not search the parent directories: `<data-dir>/infra` inside someone's checkout is not that checkout.
 */
export async function locateRepository(path: string): Promise<RepositoryLocation | null> {
  const absolute = resolve(path);
  let real: string;
  try {
    if (!statSync(absolute).isDirectory()) return null;
    real = realpathSync(absolute);
  } catch {
    return null;
  }
  const run = await runGit(
    [
      'rev-parse',
      '--absolute-git-dir',
      '--git-common-dir',
      '--is-bare-repository',
      '--show-object-format',
      '--git-path',
      'objects',
    ],
    { cwd: real, env: { GIT_CEILING_DIRECTORIES: dirname(real) } },
  );
  if (run.code !== 0) {
    if (/dubious ownership/.test(run.stderr)) {
      throw new GitHostError(`${absolute}: ${firstLine(run.stderr.replace(/^fatal: /, ''))}`, 'permanent');
    }
    return null;
  }
  const [gitDir, commonDir, bare, format, objects] = run.stdout.toString('utf8').trim().split('\n');
  if (!gitDir || !commonDir || !bare || !objects) return null;
  if (format !== 'sha1') {
    throw new GitHostError(`${absolute}: ${format} repositories are not supported (sha1 only)`, 'permanent');
  }
  const common = resolve(real, commonDir);
  let mainBare = bare === 'true';
  if (resolve(gitDir) !== common) {
    // A linked worktree: whether the main one is bare is the shared config's business.
    const config = await runGit([`--git-dir=${common}`, 'config', '--bool', 'core.bare'], { cwd: common });
    mainBare = config.code === 0 && config.stdout.toString('utf8').trim() === 'true';
  }
  return { path: absolute, gitDir, commonDir: common, objectsDir: resolve(real, objects), mainBare };
}
