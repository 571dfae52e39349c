/**
 * What the crash tests share: the real server killed with SIGKILL and restarted on the same data dir and
 * repository, a seeded PRNG so a failing run can be replayed, and the views they read back through the
 * API.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { canMoveTo, type Status } from '../../src/domain/status.js';
import { api, type RunningServer, type ServerOptions, startServer, tempDir } from './server.js';

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, between: (min: number, max: number) => Math.round(min + next() * (max - min)) };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server across its restarts: one data dir, one repository, one token. */
export class Cluster {
  server!: RunningServer;
  private restarting: Promise<void> | null = null;
  private closed = false;
  /** Calls that must not be cut by a kill, in flight; a kill waits for them, and they for a kill. */
  private shelteredCalls = 0;
  private killPending = false;
  readonly kills: Array<{ at: number; phase: string }> = [];

  constructor(
    private readonly options: Required<Pick<ServerOptions, 'dataDir' | 'repo' | 'token' | 'args'>>,
    /** When the test began: kills are timed from it. */
    readonly t0: number,
  ) {}

  async start(): Promise<void> {
    this.server = await startServer(this.options);
  }

  /** SIGKILL, then a new server on the same files. Callers wait through current(). */
  async killAndRestart(phase: string): Promise<void> {
    if (this.closed) throw new Error('the test is over');
    this.killPending = true;
    while (this.shelteredCalls > 0) await sleep(5);
    const old = this.server;
    this.restarting = (async () => {
      await old.kill();
      this.kills.push({ at: Date.now() - this.t0, phase });
      this.server = await startServer(this.options);
    })();
    try {
      await this.restarting;
    } finally {
      this.restarting = null;
      this.killPending = false;
    }
  }

  /**
   * Runs `call` where no kill can cut it: a kill waits until it is answered, and it waits for a kill
   * already on its way. (A merge killed halfway holds its pull request for the merge lease; that crash
   * has tests of its own.)
   */
  async sheltered<T>(call: (server: RunningServer) => Promise<T>): Promise<T> {
    while (this.killPending || this.restarting) await sleep(5);
    this.shelteredCalls++;
    try {
      return await call(this.server);
    } finally {
      this.shelteredCalls--;
    }
  }

  /** No more restarts; the server (if running) is killed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.restarting?.catch(() => {});
    if (!this.server) return;
    const { process } = this.server;
    if (process.exitCode === null && process.signalCode === null) await this.server.kill();
  }

  /** The server to talk to now, once any restart is over. */
  async current(): Promise<RunningServer> {
    while (this.restarting) await this.restarting;
    return this.server;
  }

  /**
   * A request to `used` failed without an answer. Our own kill: wait for the next server. A server that
   * died by itself is a failure of the test, not something to retry.
   */
  async afterConnectionFailure(used: RunningServer, error: unknown): Promise<void> {
    if (this.restarting || this.server !== used) {
      await this.current();
      return;
    }
    if (used.process.exitCode !== null || used.process.signalCode !== null) {
      throw new Error(
        `the server died without being killed (${String(error)}):\n${used.output.slice(-40).join('\n')}`,
      );
    }
    if (error instanceof Error && error.name === 'TimeoutError') {
      throw new Error(`the server stopped answering (30 s), alive:\n${used.output.slice(-40).join('\n')}`);
    }
    await sleep(50);
  }

  /** 'pull request open' lines the current server has logged: the worker finishing a request. */
  opened(): number {
    return this.server.output.filter((line) => line.includes('"pull request open"')).length;
  }
}

/**
 * A crash suite's cluster: `start` runs the server with `workers` workers and a 5 s lease on a fresh data
 * dir; after the suite it is killed, and the data dir and repository are removed once the test passed,
 * or kept and named after a failure, to look at the queue, the requests and the repository.
 */
export function crashClusterPerSuite(name: string) {
  let cluster: Cluster | undefined;
  let dataDir: string | undefined;
  let passed = false;
  afterAll(async () => {
    await cluster?.close();
    if (dataDir && passed) rmSync(dataDir, { recursive: true, force: true });
    else if (dataDir) console.log(`${name}: data dir and repository kept in ${dataDir}`);
  });
  return {
    async start(seed: number, workers: number): Promise<{ cluster: Cluster; repo: string }> {
      const t0 = Date.now();
      dataDir = tempDir(name);
      const repo = join(dataDir, 'infra');
      const args = ['--workers', String(workers), '--visibility-timeout', '5'];
      cluster = new Cluster({ dataDir, repo, token: `${name}-token-${seed}`, args }, t0);
      await cluster.start();
      return { cluster, repo };
    },
    passed() {
      passed = true;
    },
  };
}

export interface RequestView {
  request_id: string;
  kind: 'create' | 'change' | 'retire';
  status: Status;
  step: number;
  db_name: string;
  attempts: number;
  pull_request: { number: number; url: string; branch: string } | null;
  failure_reason: string | null;
  history: Array<{ at: string; status: Status; detail?: string }>;
}

export interface PullView {
  number: number;
  branch: string;
  base: string;
  state: 'open' | 'merged' | 'closed';
  request_id: string | null;
  created_at: string;
  merge_commit: string | null;
}

export async function allRequests(server: RunningServer): Promise<RequestView[]> {
  const call = api(server);
  const out: RequestView[] = [];
  let cursor: string | null = null;
  do {
    const page = await call('GET', `/requests?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    if (page.status !== 200) throw new Error(`GET /requests: ${page.status} ${page.text}`);
    out.push(...(page.json.requests as RequestView[]));
    cursor = page.json.next_cursor;
  } while (cursor);
  return out;
}

export async function allPulls(server: RunningServer): Promise<PullView[]> {
  const list = await api(server)('GET', '/pulls');
  if (list.status !== 200) throw new Error(`GET /pulls: ${list.status} ${list.text}`);
  return list.json.pull_requests as PullView[];
}

/**
 * Moves the state machine forbids, and times that go back, in a request's history; a `queued` entry
 * after work began is a move to the next step, and the steps must add up to the request's own.
 */
export function historyProblems(view: RequestView): string[] {
  const problems: string[] = [];
  let step = 1;
  view.history.forEach((entry, i) => {
    const before = view.history[i - 1];
    if (!before) return;
    if (entry.at < before.at) problems.push(`${view.db_name}: history goes back in time at ${entry.at}`);
    // Same status: a note (a retry's reason) or processing again (a new attempt).
    if (entry.status === before.status) return;
    const from = { status: before.status, step };
    if (canMoveTo(from, { status: entry.status, step })) return;
    if (entry.status === 'queued' && canMoveTo(from, { status: 'queued', step: step + 1 })) step++;
    else problems.push(`${view.db_name}: ${before.status} → ${entry.status} at step ${step}`);
  });
  if (step !== view.step)
    problems.push(`${view.db_name}: history reaches step ${step}, the request ${view.step}`);
  return problems;
}
