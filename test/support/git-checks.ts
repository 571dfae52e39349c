/**
 * Looking into the target repository from a test, with git itself: branches, commits, files, fsck, and
 * a commit made behind the service's back.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitEnv } from '../../src/adapters/local/git-process.js';

export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], {
    env: gitEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Every local branch, sorted. */
export function branches(repo: string): string[] {
  return git(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads')
    .split('\n')
    .filter(Boolean)
    .sort();
}

/** Commits on `branch` that `base` does not have (`git rev-list --count base..branch`). */
export function commitsAhead(repo: string, branch: string, base = 'main'): number {
  return Number(git(repo, 'rev-list', '--count', `${base}..${branch}`).trim());
}

/** A file's bytes at a ref, or null when it is not there. */
export function fileAt(repo: string, ref: string, path: string): string | null {
  const run = spawnSync('git', ['-C', repo, 'cat-file', 'blob', `${ref}:${path}`], {
    env: gitEnv(),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return run.status === 0 ? run.stdout : null;
}

/**
 * Many files at once through one `git cat-file --batch`: for each `ref:path`, its bytes as text, or null
 * when it is not there.
 */
export function filesAt(repo: string, specs: readonly string[]): Array<string | null> {
  const out = execFileSync('git', ['-C', repo, 'cat-file', '--batch'], {
    env: gitEnv(),
    input: specs.map((spec) => `${spec}\n`).join(''),
    maxBuffer: 256 * 1024 * 1024,
  });
  const files: Array<string | null> = [];
  let at = 0;
  for (let n = 0; n < specs.length; n++) {
    const end = out.indexOf(0x0a, at);
    const header = out.subarray(at, end).toString('utf8');
    at = end + 1;
    const match = /^[0-9a-f]{40,64} (\w+) (\d+)$/.exec(header);
    if (!match) {
      files.push(null); // "<spec> missing" or "ambiguous"
      continue;
    }
    const size = Number(match[2]);
    files.push(match[1] === 'blob' ? out.subarray(at, at + size).toString('utf8') : null);
    at += size + 1;
  }
  if (at !== out.length) throw new Error(`git cat-file --batch: unexpected output for ${specs.length} specs`);
  return files;
}

/** Each revision's object id, through one `git rev-parse`; throws when one does not resolve. */
export function revParse(repo: string, revs: readonly string[]): string[] {
  if (revs.length === 0) return [];
  const oids = git(repo, 'rev-parse', ...revs)
    .split('\n')
    .filter(Boolean);
  if (oids.length !== revs.length)
    throw new Error(`git rev-parse: ${oids.length} ids for ${revs.length} revisions`);
  return oids;
}

/**
 * The paths each commit changes against its first parent, through one `git diff-tree --stdin` (commit
 * ids, not names; use revParse first).
 */
export function changedFiles(repo: string, commits: readonly string[]): string[][] {
  if (commits.length === 0) return [];
  const lines = execFileSync(
    'git',
    ['-C', repo, 'diff-tree', '--stdin', '-r', '--name-only', '--always', '--format=%H'],
    {
      env: gitEnv(),
      input: commits.map((c) => `${c}\n`).join(''),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  ).split('\n');
  const out: string[][] = [];
  let at = 0;
  commits.forEach((commit, i) => {
    if (lines[at] !== commit) throw new Error(`git diff-tree: expected ${commit}, got ${lines[at]}`);
    at++;
    const files: string[] = [];
    const next = commits[i + 1];
    while (at < lines.length && lines[at] !== next) {
      if (lines[at]) files.push(lines[at] as string);
      at++;
    }
    out.push(files);
  });
  return out;
}

/** `git fsck --strict --full`: its exit code and whatever it printed that is not a dangling object. */
export function fsck(repo: string): { status: number | null; problems: string[] } {
  const run = spawnSync('git', ['-C', repo, 'fsck', '--strict', '--full', '--no-progress'], {
    env: gitEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const problems = `${run.stdout}${run.stderr}`
    .split('\n')
    .filter(
      (line) => line.trim() !== '' && !/^(dangling|unreachable) (blob|tree|commit|tag) [0-9a-f]+$/.test(line),
    )
    .filter((line) => !/^Checking /.test(line));
  return { status: run.status, problems };
}

/**
 * Commits `content` at `path` on `branch` (default main) with plumbing only (a throwaway index, no
 * working tree), as an engineer pushing by hand would; returns the new commit.
 */
export function commitBehindTheService(
  repo: string,
  path: string,
  content: string,
  message: string,
  branch = 'main',
): string {
  const scratch = mkdtempSync(join(tmpdir(), 'rdsp-index-'));
  const env = gitEnv({
    GIT_INDEX_FILE: join(scratch, 'index'),
    GIT_AUTHOR_NAME: 'Engineer',
    GIT_AUTHOR_EMAIL: 'engineer@example.com',
    GIT_COMMITTER_NAME: 'Engineer',
    GIT_COMMITTER_EMAIL: 'engineer@example.com',
  });
  const run = (args: string[], input?: string) =>
    execFileSync('git', ['-C', repo, ...args], {
      env,
      encoding: 'utf8',
      ...(input !== undefined ? { input } : {}),
    }).trim();
  try {
    const parent = run(['rev-parse', '--verify', `refs/heads/${branch}^{commit}`]);
    const blob = run(['hash-object', '-w', '--stdin'], content);
    run(['read-tree', parent]);
    run(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`]);
    const tree = run(['write-tree']);
    const commit = run(['commit-tree', tree, '-p', parent, '-m', message]);
    run(['update-ref', `refs/heads/${branch}`, commit, parent]);
    return commit;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
