/**
 * The persistent `git cat-file --batch-command` process every object read goes through, requests
 * pipelined and answered in order; and the reader of cat-file's batch output it shares with the bulk
 * read of many blobs (GitRepository.readBlobs).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { GitHostError } from '../../ports.js';
import { isOid, type ObjectType } from './git-objects.js';
import { firstLine, repositoryGone, setRef, spawnPersistentGit, stopGit } from './git-process.js';

export interface ObjectInfo {
  oid: string;
  type: ObjectType;
  size: number;
}

interface CatFileRequest {
  withContent: boolean;
  resolve: (value: BatchRecord | null) => void;
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
  private output = new BatchOutput();

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
    stopGit(child);
    this.fail(new GitHostError('git cat-file closed', 'transient'));
  }

  private request(name: string, withContent: boolean) {
    if (name === '' || /[\n\0]/.test(name)) {
      return Promise.reject(new GitHostError(`invalid object name: ${JSON.stringify(name)}`, 'permanent'));
    }
    const child = this.start();
    return new Promise<BatchRecord | null>((resolvePromise, reject) => {
      if (this.pending.length === 0) setRef(child, true);
      this.pending.push({ withContent, resolve: resolvePromise, reject });
      child.stdin.write(`${withContent ? 'contents' : 'info'} ${name}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawnPersistentGit(
      this.gitDir,
      ['cat-file', '--batch-command'],
      {},
      {
        stdout: (chunk: Buffer) => {
          if (this.child !== child) return;
          this.output.push(chunk);
          this.drain();
        },
        exit: (stderr, error) => {
          if (this.child !== child) return;
          this.child = null;
          const text = firstLine(stderr) || error?.message || 'git cat-file exited';
          const permanent = repositoryGone(stderr) || !existsSync(this.gitDir);
          this.fail(new GitHostError(`git cat-file: ${text}`, permanent ? 'permanent' : 'transient'));
        },
      },
    );
    this.child = child;
    this.output = new BatchOutput();
    return child;
  }

  private fail(error: Error): void {
    const pending = this.pending.splice(0);
    for (const request of pending) request.reject(error);
  }

  private drain(): void {
    while (this.pending.length > 0) {
      const request = this.pending[0] as CatFileRequest;
      let record: BatchRecord | null | undefined;
      try {
        record = this.output.next(request.withContent);
      } catch (error) {
        this.pending.shift();
        request.reject(error as Error);
        this.close();
        return;
      }
      if (record === undefined) return;
      this.pending.shift();
      request.resolve(record);
      if (this.pending.length === 0 && this.child) setRef(this.child, false);
    }
  }
}

/** One object of cat-file's batch output: its header, and its content when it was asked for. */
export interface BatchRecord {
  info: ObjectInfo;
  content: Buffer | null;
}

/**
 * cat-file's batch output read as it streams in: records `<oid> <type> <size>` (then, for `--batch` and
 * `contents`, the content and a newline) or `<name> missing` / `<name> ambiguous`. The caller knows which
 * records carry content: it asked.
 */
export class BatchOutput {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the next record can be read. */
  private awaiting = 1;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next record; null for an object that is missing (or ambiguous); undefined until its bytes have
   * all arrived. Output that is no record: a transient GitHostError.
   */
  next(withContent: boolean): BatchRecord | null | undefined {
    if (this.buffered < this.awaiting) return undefined;
    const head = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = [head];
    const newline = head.indexOf(0x0a);
    if (newline < 0) {
      this.awaiting = head.length + 1;
      return undefined;
    }
    const line = head.toString('utf8', 0, newline);
    const parts = line.split(' ');
    const last = parts[parts.length - 1];
    if (last === 'missing' || last === 'ambiguous') {
      this.consume(head, newline + 1);
      return null;
    }
    const [oid, type, sizeText] = parts;
    const size = Number(sizeText);
    if (parts.length !== 3 || !oid || !isOid(oid) || !Number.isInteger(size)) {
      throw new GitHostError(`git cat-file: unexpected output ${JSON.stringify(line)}`, 'transient');
    }
    const info: ObjectInfo = { oid, type: type as ObjectType, size };
    if (!withContent) {
      this.consume(head, newline + 1);
      return { info, content: null };
    }
    const end = newline + 1 + size;
    if (head.length < end + 1) {
      // Wait for the content and its trailing newline without joining chunks again meanwhile.
      this.awaiting = end + 1;
      return undefined;
    }
    const content = Buffer.from(head.subarray(newline + 1, end));
    this.consume(head, end + 1);
    return { info, content };
  }

  private consume(head: Buffer, upTo: number): void {
    this.awaiting = 1;
    const rest = head.subarray(upTo);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }
}
