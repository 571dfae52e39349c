/**
 * Plumbing over a real git repository that never touches a working tree or an index: a persistent
 * `git cat-file --batch-command` for reads, a persistent `git update-ref --stdin` for compare-and-swap
 * ref updates, loose objects written in-process (git-objects.ts), and a cache of parsed trees by id
 * (a tree id names its content forever, so the cache is never stale).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GitHostError } from '../../ports.js';
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

// ---------------------------------------------------------------------------------------------------
// Running git.

/**
 * Variables that point git at another repository, index or object store (`git rev-parse
 * --local-env-vars`, plus discovery and namespace settings): a caller running inside a git hook, or a
 * test harness, must not redirect the service's git. Everything else (GIT_CONFIG_GLOBAL, GIT_TRACE…)
 * passes through.
 */
const REPOSITORY_ENV = new Set([
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_COMMON_DIR',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
  'GIT_NAMESPACE',
  'GIT_QUARANTINE_PATH',
]);

/** The environment for git: the caller's, without repository redirections, in the C locale. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      !REPOSITORY_ENV.has(key) &&
      !key.startsWith('GIT_CONFIG_KEY_') &&
      !key.startsWith('GIT_CONFIG_VALUE_')
    ) {
      env[key] = value;
    }
  }
  return { ...env, LC_ALL: 'C', LANGUAGE: 'C', GIT_TERMINAL_PROMPT: '0', ...extra };
}

export interface GitRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface RunGitOptions {
  cwd?: string;
  input?: string | Buffer;
  env?: Record<string, string>;
}

/** Runs one git command to completion. Rejects only when git cannot be started at all. */
export function runGit(args: readonly string[], options: RunGitOptions = {}): Promise<GitRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnv(options.env), stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new GitHostError(`cannot run git: ${error.message}`, 'permanent')));
    child.on('close', (code) =>
      resolvePromise({
        code: code ?? 128,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';

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

// ---------------------------------------------------------------------------------------------------
// Persistent processes.

/** Keeps Node's event loop alive only while a request to a persistent git process is pending. */
function setRef(child: ChildProcessWithoutNullStreams, on: boolean): void {
  const handles = [child, child.stdout, child.stderr, child.stdin] as unknown as Array<{
    ref?: () => void;
    unref?: () => void;
  }>;
  for (const handle of handles) (on ? handle.ref : handle.unref)?.call(handle);
}

function repositoryGone(stderr: string): boolean {
  return /not a git repository|does not appear to be a git repository|cannot chdir|No such file or directory/i.test(
    stderr,
  );
}

export interface ObjectInfo {
  oid: string;
  type: ObjectType;
  size: number;
}

interface CatFileRequest {
  withContent: boolean;
  resolve: (value: { info: ObjectInfo; content: Buffer | null } | null) => void;
  reject: (error: Error) => void;
}

/**
 * `git cat-file --batch-command`: `info <name>` and `contents <name>`, answered in order, so requests
 * are pipelined without waiting for each other. The host asks by object id only (refs it reads itself:
 * see GitRepository.readRef). Git looks loose objects up afresh for every command and rescans packs on
 * a miss, so objects written by others, or packed by `git gc`, are found.
 */
export class CatFile {
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly pending: CatFileRequest[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the head of the queue can be answered. */
  private awaiting = 1;
  private stderr = '';

  constructor(private readonly gitDir: string) {}

  info(name: string): Promise<ObjectInfo | null> {
    return this.request(name, false).then((answer) => answer?.info ?? null);
  }

  contents(name: string): Promise<{ info: ObjectInfo; content: Buffer } | null> {
    return this.request(name, true) as Promise<{ info: ObjectInfo; content: Buffer } | null>;
  }

  close(): void {
    const child = this.child;
    this.child = null;
    if (child) {
      child.stdin.end();
      child.kill();
    }
    this.fail(new GitHostError('git cat-file closed', 'transient'));
  }

  private request(name: string, withContent: boolean) {
    if (name === '' || /[\n\0]/.test(name)) {
      return Promise.reject(new GitHostError(`invalid object name: ${JSON.stringify(name)}`, 'permanent'));
    }
    const child = this.start();
    return new Promise<{ info: ObjectInfo; content: Buffer | null } | null>((resolvePromise, reject) => {
      if (this.pending.length === 0) setRef(child, true);
      this.pending.push({ withContent, resolve: resolvePromise, reject });
      child.stdin.write(`${withContent ? 'contents' : 'info'} ${name}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn('git', [`--git-dir=${this.gitDir}`, 'cat-file', '--batch-command'], {
      cwd: this.gitDir,
      env: gitEnv(),
      stdio: 'pipe',
    });
    this.child = child;
    this.chunks = [];
    this.buffered = 0;
    this.awaiting = 1;
    this.stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      this.drain();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.stdin.on('error', () => {});
    const gone = (error?: Error) => {
      if (this.child !== child) return;
      this.child = null;
      const text = firstLine(this.stderr) || error?.message || 'git cat-file exited';
      const permanent = repositoryGone(this.stderr) || !existsSync(this.gitDir);
      this.fail(new GitHostError(`git cat-file: ${text}`, permanent ? 'permanent' : 'transient'));
    };
    child.on('error', gone);
    child.on('close', () => gone());
    setRef(child, false);
    return child;
  }

  private fail(error: Error): void {
    const pending = this.pending.splice(0);
    for (const request of pending) request.reject(error);
  }

  private drain(): void {
    while (this.pending.length > 0 && this.buffered >= this.awaiting) {
      const head = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
      this.chunks = [head];
      const newline = head.indexOf(0x0a);
      if (newline < 0) {
        this.awaiting = head.length + 1;
        return;
      }
      const line = head.toString('utf8', 0, newline);
      const request = this.pending[0] as CatFileRequest;
      const parts = line.split(' ');
      const last = parts[parts.length - 1];
      if (last === 'missing' || last === 'ambiguous') {
        this.consume(head, newline + 1);
        this.pending.shift();
        request.resolve(null);
      } else {
        const [oid, type, sizeText] = parts;
        const size = Number(sizeText);
        if (parts.length !== 3 || !oid || !isOid(oid) || !Number.isInteger(size)) {
          this.close();
          request.reject(
            new GitHostError(`git cat-file: unexpected output ${JSON.stringify(line)}`, 'transient'),
          );
          return;
        }
        const info: ObjectInfo = { oid, type: type as ObjectType, size };
        if (!request.withContent) {
          this.consume(head, newline + 1);
          this.pending.shift();
          request.resolve({ info, content: null });
        } else {
          const end = newline + 1 + size;
          if (head.length < end + 1) {
            // Wait for the content and its trailing newline without joining chunks again meanwhile.
            this.awaiting = end + 1;
            return;
          }
          const content = Buffer.from(head.subarray(newline + 1, end));
          this.consume(head, end + 1);
          this.pending.shift();
          request.resolve({ info, content });
        }
      }
      if (this.pending.length === 0 && this.child) setRef(this.child, false);
    }
  }

  private consume(head: Buffer, upTo: number): void {
    this.awaiting = 1;
    const rest = head.subarray(upTo);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }
}

export interface RefUpdate {
  ref: string;
  newOid: string;
  /** The value the ref must hold now; ZERO_OID: it must not exist. */
  oldOid: string;
}

/** A ref update git refused: the ref moved, is locked, or cannot exist beside another. */
export class RefUpdateRefused extends Error {
  override readonly name = 'RefUpdateRefused';
  constructor(
    message: string,
    readonly reason: 'stale' | 'locked' | 'name_conflict' | 'other',
  ) {
    super(message);
  }
}

/**
 * `git update-ref --stdin` kept running: each call is one `start`/`update…`/`prepare`/`commit`
 * transaction, applied all or nothing, every update checked against its expected old value. Calls are
 * serialised. Git exits when a transaction cannot be prepared; the next call starts it again.
 */
export class RefUpdater {
  private child: ChildProcessWithoutNullStreams | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private lines: string[] = [];
  private partial = '';
  private stderr = '';
  private waiter: { resolve: () => void; reject: (error: Error) => void } | null = null;

  constructor(
    private readonly gitDir: string,
    private readonly reflogMessage: string,
    /** Who the reflog names, where the repository keeps reflogs. */
    private readonly identity?: GitIdentity,
  ) {}

  transaction(updates: readonly RefUpdate[]): Promise<void> {
    const run = this.queue.then(() => this.apply(updates));
    this.queue = run.catch(() => {});
    return run;
  }

  close(): void {
    const child = this.child;
    this.child = null;
    if (child) {
      child.stdin.end();
      child.kill();
    }
  }

  private apply(updates: readonly RefUpdate[]): Promise<void> {
    for (const update of updates) {
      if (/[\s\0]/.test(update.ref) || !isOid(update.newOid) || !isOid(update.oldOid)) {
        return Promise.reject(new GitHostError(`invalid ref update ${JSON.stringify(update)}`, 'permanent'));
      }
    }
    const child = this.start();
    const commands = [
      'start',
      ...updates.map((u) => `update ${u.ref} ${u.newOid} ${u.oldOid}`),
      'prepare',
      'commit',
    ];
    return new Promise<void>((resolvePromise, reject) => {
      this.lines = [];
      this.waiter = { resolve: resolvePromise, reject };
      setRef(child, true);
      child.stdin.write(`${commands.join('\n')}\n`);
    }).finally(() => {
      this.waiter = null;
      if (this.child) setRef(this.child, false);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const ident: Record<string, string> = this.identity
      ? { GIT_COMMITTER_NAME: this.identity.name, GIT_COMMITTER_EMAIL: this.identity.email }
      : {};
    const child = spawn(
      'git',
      [`--git-dir=${this.gitDir}`, 'update-ref', '-m', this.reflogMessage, '--stdin'],
      {
        cwd: this.gitDir,
        env: gitEnv(ident),
        stdio: 'pipe',
      },
    );
    this.child = child;
    this.partial = '';
    this.stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      const text = this.partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) {
        this.lines.push(line);
        if (line === 'commit: ok') this.waiter?.resolve();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.stdin.on('error', () => {});
    const gone = (error?: Error) => {
      if (this.child !== child) return;
      this.child = null;
      const text = firstLine(this.stderr.replace(/^fatal: (prepare: )?/gm, '')) || error?.message || 'exited';
      this.waiter?.reject(
        existsSync(this.gitDir)
          ? refusal(text, this.stderr)
          : new GitHostError(`git update-ref: ${this.gitDir} is gone`, 'permanent'),
      );
    };
    child.on('error', gone);
    child.on('close', () => gone());
    setRef(child, false);
    return child;
  }
}

function refusal(message: string, stderr: string): Error {
  if (repositoryGone(stderr) && !/cannot lock ref/.test(stderr)) {
    return new GitHostError(`git update-ref: ${message}`, 'permanent');
  }
  if (
    /but expected|reference already exists|unable to resolve reference|reference is missing/i.test(stderr)
  ) {
    return new RefUpdateRefused(message, 'stale');
  }
  if (/\.lock'?: File exists|Unable to create .*\.lock/i.test(stderr))
    return new RefUpdateRefused(message, 'locked');
  if (/exists; cannot create|cannot process .* and .* at the same time/i.test(stderr)) {
    return new RefUpdateRefused(message, 'name_conflict');
  }
  return new RefUpdateRefused(message, 'other');
}

// ---------------------------------------------------------------------------------------------------
// The repository.

/** Parsed trees by id, least recently used first, bounded by their bytes. */
class TreeCache {
  private readonly trees = new Map<string, Tree>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(oid: string): Tree | undefined {
    const tree = this.trees.get(oid);
    if (tree) {
      this.trees.delete(oid);
      this.trees.set(oid, tree);
    }
    return tree;
  }

  set(oid: string, tree: Tree): void {
    if (this.trees.has(oid)) return;
    this.trees.set(oid, tree);
    this.bytes += tree.raw.length + 64;
    for (const [key, old] of this.trees) {
      if (this.bytes <= this.maxBytes || key === oid) break;
      this.trees.delete(key);
      this.bytes -= old.raw.length + 64;
    }
  }
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
  private packed: { key: string; refs: Map<string, string> } | null = null;

  private constructor(
    readonly location: RepositoryLocation,
    options: GitRepositoryOptions,
  ) {
    this.catFile = new CatFile(location.gitDir);
    this.refs = new RefUpdater(location.gitDir, options.reflogMessage ?? 'rds-provisioner', options.identity);
    this.objects = new LooseObjectWriter(location.objectsDir);
    this.trees = new TreeCache(options.treeCacheBytes ?? 64 * 1024 * 1024);
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
  run(args: readonly string[], input?: string): Promise<GitRun> {
    return runGit([`--git-dir=${this.location.gitDir}`, ...args], { cwd: this.location.gitDir, input });
  }

  /** A branch's head commit, or null. */
  async branchHead(branch: string): Promise<string | null> {
    return this.readRef(`refs/heads/${branch}`);
  }

  /**
   * The object a full ref name points at, read from the ref files as git does (the loose ref, then
   * packed-refs; a concurrent `git pack-refs` writes packed-refs before deleting loose refs, so this
   * order never misses a ref). Not through `git cat-file`: a revision like `refs/heads/x-gbeef` that
   * names no ref would fall back to git's describe syntax and resolve to whatever object starts "beef".
   */
  readRef(name: string, depth = 0): string | null {
    let text: string;
    try {
      text = readFileSync(join(this.location.commonDir, name), 'latin1').trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return this.packedRef(name);
      throw this.fsError(`cannot read ${name}`, error);
    }
    if (isOid(text)) return text;
    if (text.startsWith('ref: ') && depth < 5) return this.readRef(text.slice(5).trim(), depth + 1);
    throw new GitHostError(`ref ${name} is corrupt`, 'permanent');
  }

  private packedRef(name: string): string | null {
    const file = join(this.location.commonDir, 'packed-refs');
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw this.fsError('cannot read packed-refs', error);
      if (!existsSync(this.location.commonDir)) {
        throw new GitHostError(`${this.location.path}: the repository is gone`, 'permanent');
      }
      return null;
    }
    const key = `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
    if (this.packed?.key !== key) {
      const refs = new Map<string, string>();
      let content: string;
      try {
        content = readFileSync(file, 'latin1');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw this.fsError('cannot read packed-refs', error);
      }
      for (const line of content.split('\n')) {
        if (line.length > 41 && line[40] === ' ' && !line.startsWith('#'))
          refs.set(line.slice(41), line.slice(0, 40));
      }
      this.packed = { key, refs };
    }
    return this.packed.refs.get(name) ?? null;
  }

  private fsError(message: string, error: unknown): GitHostError {
    const gone = !existsSync(this.location.commonDir);
    return new GitHostError(`${message}: ${(error as Error).message}`, gone ? 'permanent' : 'transient');
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
