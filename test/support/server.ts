import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { BIN, ROOT } from './cli.js';

export interface RunningServer {
  url: string;
  token: string;
  /** The pipeline's own token (RDS_PROVISIONER_PIPELINE_TOKEN): only it reaches /reports/*. */
  pipelineToken: string;
  dataDir: string;
  repo: string;
  process: ChildProcess;
  /** Every line the server wrote to stdout and stderr. */
  output: string[];
  /** SIGTERM, then wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to clean up. */
  kill(): Promise<void>;
}

export interface ServerOptions {
  dataDir?: string;
  repo?: string;
  token?: string;
  pipelineToken?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `rdsp-${prefix}-`));

/**
 * Starts the real server (`rds-provisioner serve`, built) on a free loopback port and resolves once it
 * logs its URL. Each test gets its own data dir and repository unless it passes them (to restart).
 */
export function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? tempDir('data');
  const repo = options.repo ?? join(dataDir, 'infra');
  const token = options.token ?? randomBytes(24).toString('base64url');
  const pipelineToken = options.pipelineToken ?? randomBytes(24).toString('base64url');
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
      '--repo',
      repo,
      ...(options.args ?? []),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        RDS_PROVISIONER_API_TOKEN: token,
        RDS_PROVISIONER_PIPELINE_TOKEN: pipelineToken,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output.join('\n')}`)), 60_000);
    const onLine = (line: string) => {
      output.push(line);
      if (!line.includes('"rds-provisioner serving"')) return;
      clearTimeout(timer);
      const { url } = JSON.parse(line) as { url: string };
      resolve({
        url,
        token,
        pipelineToken,
        dataDir,
        repo,
        process: child,
        output,
        stop: async () => {
          child.kill('SIGTERM');
          return exited;
        },
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      });
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffer = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffer += chunk;
        let at = buffer.indexOf('\n');
        while (at !== -1) {
          onLine(buffer.slice(0, at));
          buffer = buffer.slice(at + 1);
          at = buffer.indexOf('\n');
        }
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${output.join('\n')}`));
    });
  });
}

/**
 * The real server for a whole suite: started before its tests, stopped after them (and expected to stop
 * cleanly). Read `server` and `call` inside tests, once it is running.
 */
export function serverPerSuite(options: ServerOptions = {}): {
  readonly server: RunningServer;
  readonly call: ReturnType<typeof api>;
} {
  let running: { server: RunningServer; call: ReturnType<typeof api> } | undefined;
  beforeAll(async () => {
    const server = await startServer(options);
    running = { server, call: api(server) };
  });
  afterAll(async () => {
    if (running) expect(await running.server.stop()).toBe(0);
  });
  const current = () => {
    if (!running) throw new Error('the suite server is not running yet');
    return running;
  };
  return {
    get server() {
      return current().server;
    },
    get call() {
      return current().call;
    },
  };
}

/** A small client for tests: JSON in, status and JSON out, the token already set. */
export function api(server: { url: string; token: string }) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = {
      method,
      headers: {
        authorization: `Bearer ${server.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
    };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    // No test call should take this long; a hung server fails the test with a clear error instead.
    init.signal = AbortSignal.timeout(30_000);
    const response = await fetch(`${server.url}${path}`, init);
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return {
      status: response.status,
      // biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely and assert on every field they use
      json: json as any,
      text,
      headers: response.headers,
    };
  };
}

/** Polls a request until `done` says so or the time runs out. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out; last value: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
