/**
 * Compare-and-swap ref updates through a persistent `git update-ref --stdin`, and what a refusal means
 * (stale, locked, name conflict).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { GitHostError } from '../../ports.js';
import { type GitIdentity, isOid } from './git-objects.js';
import { firstLine, repositoryGone, setRef, spawnPersistentGit, stopGit } from './git-process.js';

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
    stopGit(child);
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
    const args = ['update-ref', '-m', this.reflogMessage, '--stdin'];
    const child = spawnPersistentGit(this.gitDir, args, ident, {
      stdout: (chunk: Buffer) => {
        if (this.child !== child) return;
        const text = this.partial + chunk.toString('utf8');
        const parts = text.split('\n');
        this.partial = parts.pop() ?? '';
        for (const line of parts) {
          this.lines.push(line);
          if (line === 'commit: ok') this.waiter?.resolve();
        }
      },
      exit: (stderr, error) => {
        if (this.child !== child) return;
        this.child = null;
        const text = firstLine(stderr.replace(/^fatal: (prepare: )?/gm, '')) || error?.message || 'exited';
        this.waiter?.reject(
          existsSync(this.gitDir)
            ? refusal(text, stderr)
            : new GitHostError(`git update-ref: ${this.gitDir} is gone`, 'permanent'),
        );
      },
    });
    this.child = child;
    this.partial = '';
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
