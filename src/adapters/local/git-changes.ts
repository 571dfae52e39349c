import {
  type ChangedRoots,
  changedRoots,
  directoriesToList,
  type PathChange,
} from '../../domain/changed-roots.js';
import type { LayoutSettings } from '../../domain/layout.js';
import { firstLine, runGit } from './git-process.js';

/** What changed between two commits of a working copy and what is at the head, for changedRoots. */

export class GitChangesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitChangesError';
  }
}

async function git(cwd: string, args: readonly string[]): Promise<string> {
  const run = await runGit(args, { cwd });
  if (run.code !== 0) throw new GitChangesError(`git ${args[0]}: ${firstLine(run.stderr)}`);
  return run.stdout.toString('utf8');
}

/** Whether `dir` is (inside) a git working copy or repository; false for a directory that does not exist. */
export async function isRepository(dir: string): Promise<boolean> {
  // -C rather than cwd: a missing directory is a plain "no", not a failure to start git.
  return (await runGit(['-C', dir, 'rev-parse', '--git-dir'])).code === 0;
}

/** The commit id of a revision (branch, tag, sha), or null when it names no commit here. */
export async function resolveCommit(cwd: string, revision: string): Promise<string | null> {
  const run = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`], {
    cwd,
  });
  return run.code === 0 ? run.stdout.toString('utf8').trim() : null;
}

/** The commit a pull request from `head` into `base` starts from, or null when they share no history. */
export async function mergeBase(cwd: string, base: string, head: string): Promise<string | null> {
  const run = await runGit(['merge-base', base, head], { cwd });
  // Exit 1 with nothing printed: no common ancestor (unrelated histories, or a clone too shallow to see it).
  if (run.code === 1 && run.stdout.length === 0) return null;
  if (run.code !== 0) throw new GitChangesError(`git merge-base: ${firstLine(run.stderr)}`);
  return run.stdout.toString('utf8').trim();
}

/**
 * The paths changed from commit `from` to commit `to`; with the merge base as `from`, what a pull request
 * changes. Only exact renames (a file moved unchanged) are paired: generated roots differ in a few names,
 * so git's default 50% similarity would pair a retired database with an unrelated new one and refuse the
 * change as a rename. `-z` keeps any path byte for byte.
 */
export async function changedPaths(cwd: string, from: string, to: string): Promise<PathChange[]> {
  const out = await git(cwd, [
    'diff',
    '--name-status',
    '-z',
    '--find-renames=100%',
    '--no-ext-diff',
    from,
    to,
    '--',
  ]);
  const fields = out.split('\0');
  const changes: PathChange[] = [];
  for (let i = 0; i + 1 < fields.length; ) {
    const status = fields[i++] as string;
    const path = fields[i++] as string;
    if (status.startsWith('R')) changes.push({ status: 'renamed', from: path, path: fields[i++] as string });
    else if (status.startsWith('C')) changes.push({ status: 'added', path: fields[i++] as string });
    else if (status === 'A') changes.push({ status: 'added', path });
    else if (status === 'D') changes.push({ status: 'deleted', path });
    else changes.push({ status: 'modified', path });
  }
  return changes;
}

/** Every file path at `head` under the given directories (none listed: none read). */
export async function filesAt(cwd: string, head: string, directories: readonly string[]): Promise<string[]> {
  if (directories.length === 0) return [];
  const args = ['ls-tree', '-r', '-z', '--name-only', '--full-tree', head, '--', ...directories];
  // Directory names are paths, never patterns.
  const run = await runGit(args, { cwd, env: { GIT_LITERAL_PATHSPECS: '1' } });
  if (run.code !== 0) throw new GitChangesError(`git ls-tree: ${firstLine(run.stderr)}`);
  return run.stdout
    .toString('utf8')
    .split('\0')
    .filter((p) => p.length > 0);
}

/**
 * The roots a pull request from commit `head` into commit `base` touches (base...head: from their merge
 * base), reading at the head only the directories the change needs; null when they share no history.
 */
export async function changedRootsBetween(
  cwd: string,
  layout: LayoutSettings,
  environments: readonly string[],
  base: string,
  head: string,
): Promise<ChangedRoots | null> {
  const since = await mergeBase(cwd, base, head);
  if (since === null) return null;
  const changes = await changedPaths(cwd, since, head);
  const files = await filesAt(cwd, head, directoriesToList(changes, layout));
  return changedRoots(changes, layout, files, environments);
}
