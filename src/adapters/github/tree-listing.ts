/**
 * The files under a directory at a commit, from GitHub's trees API. One recursive listing of the commit's
 * whole tree answers it in one call. GitHub truncates a recursive listing past its limits (100,000 entries
 * or 7 MB, and says `truncated: true`); then the listing walks instead: down to the directory and through
 * each of its subtrees, one non-recursive listing a tree, which is complete unless a single tree is that
 * large.
 */
import { GitHostError, type TreeFile } from '../../ports.js';

/** What GET git/trees/{tree_sha} answers, as far as the listing reads it. */
export interface GitTreeListing {
  truncated: boolean;
  tree: ReadonlyArray<{ path?: string; mode?: string; type?: string; sha?: string }>;
}

/** Lists a tree (a commit's, by the commit's sha) or, `recursive`, everything below it. */
export type FetchTree = (sha: string, recursive: boolean) => Promise<GitTreeListing>;

type Entry = GitTreeListing['tree'][number];

/** A file's blob: a symbolic link is a blob too, but holds a path, not a file's content. */
const isFile = (e: Entry): e is Entry & { path: string; sha: string } =>
  e.type === 'blob' && e.mode !== '120000' && typeof e.path === 'string' && typeof e.sha === 'string';

const isTree = (e: Entry): e is Entry & { path: string; sha: string } =>
  e.type === 'tree' && typeof e.path === 'string' && typeof e.sha === 'string';

const byPath = (a: TreeFile, b: TreeFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Every file under `directory` (a path in the repository; '' for all of it) at `commit`, sorted by path. */
export async function listTreeFiles(
  commit: string,
  directory: string,
  listTree: FetchTree,
): Promise<TreeFile[]> {
  const dir = directory.replace(/^\/+|\/+$/g, '');
  const prefix = dir ? `${dir}/` : '';
  const whole = await listTree(commit, true);
  const files = whole.truncated
    ? await walk(commit, dir, listTree)
    : whole.tree.filter((e) => isFile(e) && e.path.startsWith(prefix)).map(toFile(''));
  return files.sort(byPath);
}

function toFile(prefix: string) {
  return (e: Entry): TreeFile => ({ path: `${prefix}${e.path}`, blob: e.sha as string });
}

async function walk(commit: string, dir: string, listTree: FetchTree): Promise<TreeFile[]> {
  const level = async (sha: string) => {
    const listing = await listTree(sha, false);
    if (listing.truncated) {
      throw new GitHostError(`tree ${sha} has more entries than GitHub lists at once`, 'permanent');
    }
    return listing.tree;
  };
  let sha = commit;
  for (const name of dir ? dir.split('/') : []) {
    const entry = (await level(sha)).find((e) => isTree(e) && e.path === name);
    if (!entry?.sha) return [];
    sha = entry.sha;
  }
  const files: TreeFile[] = [];
  const pending = [{ sha, prefix: dir ? `${dir}/` : '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const entries = await level(next.sha);
    files.push(...entries.filter(isFile).map(toFile(next.prefix)));
    for (const e of entries.filter(isTree)) pending.push({ sha: e.sha, prefix: `${next.prefix}${e.path}/` });
  }
  return files;
}
