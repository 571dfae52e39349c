/**
 * Plumbing over a real git repository that never touches a working tree or an index: a persistent
 * `git cat-file --batch-command` for reads (git-cat-file.ts), a persistent `git update-ref --stdin` for
 * compare-and-swap ref updates (git-ref-updates.ts), refs read from their files (git-ref-reader.ts),
 * loose objects written in-process (git-objects.ts), and a cache of parsed trees by id
 * (git-tree-cache.ts; a tree id names its content forever, so the cache is never stale).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GitHostError } from '../../ports.js';
import { BatchOutput, CatFile } from './git-cat-file.js';
import { locateRepository, type RepositoryLocation } from './git-location.js';
import {
  CorruptObjectError,
  formatCommit,
  type GitIdentity,
  isOid,
  isValidRepositoryPath,
  LooseObjectWriter,
  type ObjectBody,
  type ObjectType,
  parseCommit,
  TREE_MODE,
  Tree,
} from './git-objects.js';
import { type GitRun, gitFailure, type RunGitOptions, runGit } from './git-process.js';
import { RefReader } from './git-ref-reader.js';
import { type RefUpdate, RefUpdateRefused, RefUpdater } from './git-ref-updates.js';
import { TreeCache } from './git-tree-cache.js';

/** A blob of a tree listing: its path, id, mode (`100644`, `100755`, `120000` for a link) and size. */
export interface TreeBlob {
  path: string;
  oid: string;
  mode: string;
  /** Bytes; null when the listing did not ask for sizes. */
  size: number | null;
}

export interface PathEntry {
  mode: string;
  oid: string;
  isTree: boolean;
}

export interface GitRepositoryOptions {
  /** Bytes of parsed trees kept in memory. */
  treeCacheBytes?: number;
  reflogMessage?: string;
  /** Committer named in reflog entries. */
  identity?: GitIdentity;
}

const COMMIT_CACHE_SIZE = 4096;

/**
 * One repository's plumbing. Opened lazily by the git host; every method maps git's failures to
 * GitHostError (repository missing or corrupt: permanent; anything else: transient).
 */
export class GitRepository {
  readonly catFile: CatFile;
  readonly refs: RefUpdater;
  readonly objects: LooseObjectWriter;
  private readonly trees: TreeCache;
  private readonly treeLoads = new Map<string, Promise<Tree>>();
  private readonly commitTrees = new Map<string, string>();
  private readonly refFiles: RefReader;

  private constructor(
    readonly location: RepositoryLocation,
    options: GitRepositoryOptions,
  ) {
    this.catFile = new CatFile(location.gitDir);
    this.refs = new RefUpdater(location.gitDir, options.reflogMessage ?? 'rds-provisioner', options.identity);
    this.objects = new LooseObjectWriter(location.objectsDir);
    this.trees = new TreeCache(options.treeCacheBytes ?? 64 * 1024 * 1024);
    this.refFiles = new RefReader(location);
  }

  static async open(path: string, options: GitRepositoryOptions = {}): Promise<GitRepository> {
    const location = await locateRepository(path);
    if (!location) throw new GitHostError(`${resolve(path)} is not a git repository`, 'permanent');
    return new GitRepository(location, options);
  }

  close(): void {
    this.catFile.close();
    this.refs.close();
  }

  /** Runs a one-off git command in this repository. */
  run(args: readonly string[], options: Omit<RunGitOptions, 'cwd'> = {}): Promise<GitRun> {
    return runGit([`--git-dir=${this.location.gitDir}`, ...args], { ...options, cwd: this.location.gitDir });
  }

  /** A branch's head commit, or null. */
  async branchHead(branch: string): Promise<string | null> {
    return this.readRef(`refs/heads/${branch}`);
  }

  /** The object a full ref name points at, read from the ref files (see RefReader.readRef), or null. */
  readRef(name: string): string | null {
    return this.refFiles.readRef(name);
  }

  /** A commit id for a commit id, a full ref name or a branch name; null when there is none. */
  async resolveCommit(ref: string): Promise<string | null> {
    if (isOid(ref)) {
      if (this.commitTrees.has(ref)) return ref;
      const info = await this.catFile.info(ref);
      return info?.type === 'commit' ? info.oid : null;
    }
    const oid = this.readRef(ref.startsWith('refs/') ? ref : `refs/heads/${ref}`);
    if (!oid) return null;
    if (this.commitTrees.has(oid)) return oid;
    const info = await this.catFile.info(oid);
    return info?.type === 'commit' ? info.oid : null;
  }

  async treeOfCommit(commit: string): Promise<string> {
    const cached = this.commitTrees.get(commit);
    if (cached) return cached;
    const object = await this.catFile.contents(commit);
    if (object?.info.type !== 'commit') {
      throw new GitHostError(`commit ${commit} is missing or not a commit`, 'permanent');
    }
    const { tree } = this.parse(() => parseCommit(object.content), commit);
    this.rememberCommit(commit, tree);
    return tree;
  }

  async commitParents(commit: string): Promise<string[]> {
    const object = await this.catFile.contents(commit);
    if (object?.info.type !== 'commit') {
      throw new GitHostError(`commit ${commit} is missing or not a commit`, 'permanent');
    }
    return this.parse(() => parseCommit(object.content), commit).parents;
  }

  readTree(oid: string): Promise<Tree> {
    const cached = this.trees.get(oid);
    if (cached) return Promise.resolve(cached);
    const loading = this.treeLoads.get(oid);
    if (loading) return loading;
    const load = (async () => {
      const object = await this.catFile.contents(oid);
      if (object?.info.type !== 'tree') {
        throw new GitHostError(`tree ${oid} is missing or not a tree`, 'permanent');
      }
      const tree = this.parse(() => Tree.parse(object.content), oid);
      this.trees.set(oid, tree);
      return tree;
    })().finally(() => this.treeLoads.delete(oid));
    this.treeLoads.set(oid, load);
    return load;
  }

  /** The entry at `path` in a commit's tree, or null. */
  async entryAt(commit: string, path: string): Promise<PathEntry | null> {
    const parts = splitPath(path);
    let tree = await this.readTree(await this.treeOfCommit(commit));
    for (let i = 0; i < parts.length; i++) {
      const entry = tree.find(parts[i] as string);
      if (!entry) return null;
      if (i === parts.length - 1) return { mode: entry.mode, oid: entry.oid, isTree: entry.isTree };
      if (!entry.isTree) return null;
      tree = await this.readTree(entry.oid);
    }
    return null;
  }

  async readBlob(oid: string): Promise<Buffer | null> {
    const object = await this.catFile.contents(oid);
    if (object?.info.type !== 'blob') return null;
    return object.content;
  }

  /**
   * Many blobs at once (null for each that is missing or no blob): one `git cat-file --batch --buffer` of
   * their own, fed every id and read as its output streams. Not the persistent process: that one flushes
   * each answer (thousands of small reads) and would hold up every other read meanwhile.
   */
  async readBlobs(oids: readonly string[]): Promise<Array<Buffer | null>> {
    const output = new BatchOutput();
    const blobs: Array<Buffer | null> = [];
    let failure: unknown;
    const run = await this.run(['cat-file', '--batch', '--buffer'], {
      input: oids.map((oid) => `${oid}\n`).join(''),
      stdout: (chunk) => {
        if (failure !== undefined) return;
        output.push(chunk);
        try {
          for (let record = output.next(true); record !== undefined; record = output.next(true)) {
            blobs.push(record?.info.type === 'blob' ? record.content : null);
          }
        } catch (error) {
          failure = error;
        }
      },
    });
    if (failure !== undefined) throw failure;
    if (run.code !== 0) throw gitFailure('git cat-file', run.stderr);
    if (blobs.length !== oids.length) {
      throw new GitHostError(`git cat-file answered ${blobs.length} of ${oids.length} objects`, 'transient');
    }
    return blobs;
  }

  writeObject(type: ObjectType, body: Buffer | ObjectBody): string {
    try {
      return this.objects.write(type, body);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const kind = code === 'ENOENT' && !existsSync(this.location.objectsDir) ? 'permanent' : 'transient';
      throw new GitHostError(`cannot write a git object: ${(error as Error).message}`, kind);
    }
  }

  /**
   * A new root tree: `rootTree` with the blob `oid` at `path`, every tree on the way written anew and
   * nothing else. A directory where the file should be, or a file where a directory should be: conflict.
   */
  async writeTreeWithFile(rootTree: string, path: string, mode: string, oid: string): Promise<string> {
    const parts = splitPath(path);
    const set = async (treeOid: string | null, depth: number): Promise<string> => {
      const tree = treeOid ? await this.readTree(treeOid) : Tree.EMPTY;
      const name = parts[depth] as string;
      const existing = tree.find(name);
      if (depth === parts.length - 1) {
        if (existing?.isTree) throw new GitHostError(`${path} is a directory in the repository`, 'conflict');
        return this.writeObject('tree', tree.with(name, mode, oid));
      }
      if (existing && !existing.isTree) {
        throw new GitHostError(
          `${parts.slice(0, depth + 1).join('/')} is a file in the repository`,
          'conflict',
        );
      }
      const child = await set(existing?.oid ?? null, depth + 1);
      return this.writeObject('tree', tree.with(name, TREE_MODE, child));
    };
    return set(rootTree, 0);
  }

  /**
   * A new root tree: `rootTree` without the file at `path`, and without each directory on the way that
   * the removal leaves empty (git keeps no empty directories: a database's root goes with its file).
   * Null when there is no file at `path`; a directory there: conflict.
   */
  async writeTreeWithoutFile(rootTree: string, path: string): Promise<string | null> {
    const parts = splitPath(path);
    /** The tree's new id; `emptied` when nothing is left of it; null when there is nothing to remove. */
    const remove = async (treeOid: string, depth: number): Promise<string | 'emptied' | null> => {
      const tree = await this.readTree(treeOid);
      const name = parts[depth] as string;
      const existing = tree.find(name);
      if (!existing) return null;
      const last = depth === parts.length - 1;
      if (last && existing.isTree)
        throw new GitHostError(`${path} is a directory in the repository`, 'conflict');
      if (!last && !existing.isTree) return null;
      const child = last ? 'emptied' : await remove(existing.oid, depth + 1);
      if (child === null) return null;
      if (child !== 'emptied') return this.writeObject('tree', tree.with(name, TREE_MODE, child));
      if (tree.length === 1) return 'emptied';
      return this.writeObject('tree', tree.without(name) as ObjectBody);
    };
    const root = await remove(rootTree, 0);
    // A repository whose last file went: its root is the empty tree.
    return root === 'emptied' ? this.writeObject('tree', Buffer.alloc(0)) : root;
  }

  /**
   * Every blob under `directory` at a commit, recursively (symbolic links too: git keeps them as blobs),
   * through one `git ls-tree -r` (one process whatever the count).
   */
  async blobsUnder(commit: string, directory: string): Promise<Array<{ path: string; oid: string }>> {
    return (await this.lsTree(commit, directory, false)).map(({ path, oid }) => ({ path, oid }));
  }

  /** The same with each blob's mode and size in bytes (`git ls-tree -r -l`: git reads each object's header). */
  async blobsWithSizesUnder(commit: string, directory: string): Promise<TreeBlob[]> {
    return this.lsTree(commit, directory, true);
  }

  private async lsTree(commit: string, directory: string, sizes: boolean): Promise<TreeBlob[]> {
    splitPath(directory);
    if (!isOid(commit)) throw new GitHostError(`${JSON.stringify(commit)} is not a commit id`, 'permanent');
    // A path, never a pattern, whatever the caller's environment says.
    const args = ['ls-tree', '-r', '-z', '--full-tree', ...(sizes ? ['-l'] : []), commit, '--', directory];
    const run = await this.run(args, {
      env: {
        GIT_LITERAL_PATHSPECS: '1',
        GIT_GLOB_PATHSPECS: '0',
        GIT_NOGLOB_PATHSPECS: '0',
        GIT_ICASE_PATHSPECS: '0',
      },
    });
    if (run.code !== 0) throw gitFailure('git ls-tree', run.stderr);
    const prefix = `${directory}/`;
    const blobs: TreeBlob[] = [];
    for (const record of run.stdout.toString('utf8').split('\0')) {
      // `<mode> <type> <oid>\t<path>`; with -l, `<mode> <type> <oid> <padded size>\t<path>`.
      const tab = record.indexOf('\t');
      if (tab < 0) continue;
      const [mode, type, oid, size] = record.slice(0, tab).split(/ +/);
      const path = record.slice(tab + 1);
      if (type === 'blob' && mode && oid && path.startsWith(prefix)) {
        blobs.push({ path, oid, mode, size: sizes ? Number(size) : null });
      }
    }
    return blobs;
  }

  writeCommit(spec: {
    tree: string;
    parents: readonly string[];
    author: GitIdentity;
    at: Date;
    message: string;
  }): string {
    const oid = this.writeObject('commit', formatCommit({ ...spec, committer: spec.author }));
    this.rememberCommit(oid, spec.tree);
    return oid;
  }

  /** Compare-and-swap: true when applied, false when the ref no longer holds `oldOid` (or is locked). */
  async updateRef(update: RefUpdate): Promise<boolean> {
    try {
      await this.refs.transaction([update]);
      return true;
    } catch (error) {
      if (error instanceof RefUpdateRefused) {
        if (error.reason === 'stale' || error.reason === 'locked') return false;
        if (error.reason === 'name_conflict') {
          throw new GitHostError(`cannot update ${update.ref}: ${error.message}`, 'conflict');
        }
        throw new GitHostError(`cannot update ${update.ref}: ${error.message}`, 'transient');
      }
      throw error;
    }
  }

  /**
   * Branches checked out in a working tree of this repository (the main one unless it is bare, and
   * every linked worktree), read afresh from their HEAD files.
   */
  checkedOutBranches(): Set<string> {
    const heads: string[] = [];
    if (!this.location.mainBare) heads.push(join(this.location.commonDir, 'HEAD'));
    try {
      for (const name of readdirSync(join(this.location.commonDir, 'worktrees'))) {
        heads.push(join(this.location.commonDir, 'worktrees', name, 'HEAD'));
      }
    } catch {
      // no linked worktrees
    }
    const branches = new Set<string>();
    for (const file of heads) {
      try {
        const match = /^ref: refs\/heads\/(.+)$/m.exec(readFileSync(file, 'utf8'));
        if (match?.[1]) branches.add(match[1].trim());
      } catch {
        // a worktree being removed
      }
    }
    return branches;
  }

  private rememberCommit(commit: string, tree: string): void {
    if (this.commitTrees.size >= COMMIT_CACHE_SIZE) {
      const oldest = this.commitTrees.keys().next().value;
      if (oldest !== undefined) this.commitTrees.delete(oldest);
    }
    this.commitTrees.set(commit, tree);
  }

  private parse<T>(parse: () => T, oid: string): T {
    try {
      return parse();
    } catch (error) {
      if (error instanceof CorruptObjectError) {
        throw new GitHostError(`object ${oid} is corrupt: ${error.message}`, 'permanent');
      }
      throw error;
    }
  }
}

function splitPath(path: string): string[] {
  if (!isValidRepositoryPath(path))
    throw new GitHostError(`invalid repository path ${JSON.stringify(path)}`, 'permanent');
  return path.split('/');
}
