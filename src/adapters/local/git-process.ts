/**
 * Starting git: an environment that cannot be redirected to another repository, one-off commands run
 * to completion, and the wiring shared by the processes kept running across requests (cat-file,
 * update-ref).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { GitHostError } from '../../ports.js';

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
  /** Hears the output as it streams (then the result's `stdout` stays empty) instead of collecting it. */
  stdout?: (chunk: Buffer) => void;
}

/** Runs one git command to completion. Rejects only when git cannot be started at all. */
export function runGit(args: readonly string[], options: RunGitOptions = {}): Promise<GitRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnv(options.env), stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', options.stdout ?? ((chunk: Buffer) => out.push(chunk)));
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

export const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';

/** A one-off git command that failed: permanent when the repository is missing or corrupt. */
export function gitFailure(what: string, stderr: string): GitHostError {
  const text = firstLine(stderr);
  const permanent = /not a git repository|bad object|corrupt|loose object .* is corrupt|unable to read/i.test(
    stderr,
  );
  return new GitHostError(`${what} failed: ${text}`, permanent ? 'permanent' : 'transient');
}

// ---------------------------------------------------------------------------------------------------
// Persistent processes.

/** Keeps Node's event loop alive only while a request to a persistent git process is pending. */
export function setRef(child: ChildProcessWithoutNullStreams, on: boolean): void {
  const handles = [child, child.stdout, child.stderr, child.stdin] as unknown as Array<{
    ref?: () => void;
    unref?: () => void;
  }>;
  for (const handle of handles) (on ? handle.ref : handle.unref)?.call(handle);
}

export function repositoryGone(stderr: string): boolean {
  return /not a git repository|does not appear to be a git repository|cannot chdir|No such file or directory/i.test(
    stderr,
  );
}

/**
 * Starts git kept running for many requests over stdin, in `gitDir`. `stdout` hears its output; the tail
 * of its stderr is kept for error messages; `exit` hears, with that tail, that git could not start or has
 * exited (a failed write to its stdin shows up that way too, so it is not an error of its own). Idle
 * until a request is pending: see setRef.
 */
export function spawnPersistentGit(
  gitDir: string,
  args: readonly string[],
  env: Record<string, string>,
  on: { stdout: (chunk: Buffer) => void; exit: (stderr: string, error?: Error) => void },
): ChildProcessWithoutNullStreams {
  const child = spawn('git', [`--git-dir=${gitDir}`, ...args], {
    cwd: gitDir,
    env: gitEnv(env),
    stdio: 'pipe',
  });
  let stderr = '';
  child.stdout.on('data', on.stdout);
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  child.stdin.on('error', () => {});
  child.on('error', (error) => on.exit(stderr, error));
  child.on('close', () => on.exit(stderr));
  setRef(child, false);
  return child;
}

/** Ends a persistent git process, if one is running. */
export function stopGit(child: ChildProcessWithoutNullStreams | null): void {
  if (child) {
    child.stdin.end();
    child.kill();
  }
}
