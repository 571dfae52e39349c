import type { PathChange } from '../../domain/changed-roots.js';
import { firstLine, runGit } from './git-process.js';

/** What changed between two commits of a working copy, and what is at the head: the input of changedRoots. */

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

/** A commit id for a revision (branch, tag, sha); the error names the revision. */
export async function resolveCommit(cwd: string, revision: string): Promise<string> {
  const run = await runGit(['rev-parse', '--verify', '--end-of-options', `${revision}^{commit}`], { cwd });
  if (run.code !== 0) throw new GitChangesError(`${revision} is not a commit in ${cwd}`);
  return run.stdout.toString('utf8').trim();
}

/**
 * The paths changed from the merge base of `base` and `head` to `head` (what a pull request changes),
 * renames detected. `-z` keeps any path byte for byte.
 */
export async function changedPaths(cwd: string, base: string, head: string): Promise<PathChange[]> {
  const out = await git(cwd, [
    'diff',
    '--name-status',
    '-z',
    '-M',
    '--no-ext-diff',
    `${base}...${head}`,
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

/** Every file path at `head` under `directory`. */
export async function filesAt(cwd: string, head: string, directory: string): Promise<string[]> {
  const out = await git(cwd, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', head, '--', directory]);
  return out.split('\0').filter((p) => p.length > 0);
}
