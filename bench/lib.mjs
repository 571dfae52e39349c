// Shared helpers for the benchmarks: the machine, statistics, the real server as a child process,
// and the table every figure is printed in.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'rds-provisioner.js');

const created = [];

/** A fresh directory under the system temp dir, removed by removeTempDirs() at the end of the run. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `rdsp-bench-${prefix}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs() {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const now = () => performance.now();

// ---------------------------------------------------------------------------------------------------
// The machine.

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return cpus().length >= 2;
  } catch {
    return false;
  }
})();

/** `[command, args]` pinned to one CPU when taskset is there and the machine has two or more. */
export function pinned(cpu, command, args) {
  return hasTaskset && cpu !== undefined
    ? ['taskset', ['-c', String(cpu), command, ...args]]
    : [command, args];
}

export const canPin = hasTaskset;

export function machine() {
  const list = cpus();
  let model = list[0]?.model?.trim() ?? 'unknown';
  try {
    const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
    const named = /^Model name:\s*(.+)$/m.exec(lscpu)?.[1]?.trim();
    if (named && named.length > model.length) model = named;
  } catch {
    // lscpu is optional
  }
  const git = execFileSync('git', ['--version'], { encoding: 'utf8' })
    .trim()
    .replace(/^git version /, '');
  return {
    cpu: model,
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    node: process.version,
    git,
    load: loadavg().map((n) => n.toFixed(2)),
    platform: `${process.platform} ${process.arch}`,
  };
}

/** CPU time (user + system, ms) a process has used so far, from /proc; NaN where there is none. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

// ---------------------------------------------------------------------------------------------------
// Statistics.

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export const median = (values) => percentile(values, 50);
export const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;

// ---------------------------------------------------------------------------------------------------
// The real server, as tests start it: a child process on a free loopback port, its own data dir and
// bearer token. Its log goes to a file (not a pipe the bench would have to drain on its own CPU).

export async function startServer({ args = [], cpu, env = {}, nodeArgs = [], dataDir } = {}) {
  const dir = dataDir ?? tempDir('data');
  const token = randomBytes(24).toString('base64url');
  const logFile = join(dir, 'server.log');
  const log = openSync(logFile, 'a');
  const [command, argv] = pinned(cpu, process.execPath, [
    ...nodeArgs,
    BIN,
    'serve',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--data-dir',
    dir,
    ...args,
  ]);
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env, RDS_PROVISIONER_API_TOKEN: token },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exitCode;
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolve(exitCode);
    }),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const line = text.split('\n').find((l) => l.includes('"rds-provisioner serving"'));
    if (line) {
      const { url } = JSON.parse(line);
      return {
        url,
        token,
        dataDir: dir,
        repo: join(dir, 'infra'),
        logFile,
        pid: child.pid,
        stop: async () => {
          if (exitCode === undefined) child.kill('SIGTERM');
          return exited;
        },
      };
    }
    if (exitCode !== undefined) throw new Error(`server exited (${exitCode}) before serving:\n${text}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start within 60 s:\n${text}`);
    }
    await sleep(50);
  }
}

/** Runs a node script as a child process (optionally pinned) and parses the JSON it prints last. */
export function runNodeJson(script, payload, { cpu, nodeArgs = [] } = {}) {
  const [command, argv] = pinned(cpu, process.execPath, [...nodeArgs, script, JSON.stringify(payload)]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)));
      } catch (error) {
        reject(new Error(`${script} printed no JSON: ${out.slice(0, 500)} (${error.message})`));
      }
    });
  });
}

/** JSON over HTTP with the bearer token, for the sections that poll. */
export function client(server) {
  return async (method, path, body) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  };
}

// ---------------------------------------------------------------------------------------------------
// Output.

export const fmt = (value, digits = 1) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : String(value);

/**
 * A row: `figure  baseline  ratio  target  PASS/MISS`. `target` is a function of the row (ratio or
 * figure) returning true/false, with its text; rows without a target are information.
 */
export function row(name, figure, baseline, ratio, target) {
  const verdict = target ? (target.ok ? 'PASS' : 'MISS') : '';
  return {
    name,
    figure,
    baseline,
    ratio: Number.isFinite(ratio) ? ratio.toFixed(2) : '-',
    target: target?.text ?? '-',
    verdict,
  };
}

export function printTable(title, rows) {
  const header = { name: title, figure: 'figure', baseline: 'baseline', ratio: 'ratio', target: 'target' };
  const all = [header, ...rows];
  const width = (key) => Math.max(...all.map((r) => String(r[key]).length));
  const w = {
    name: width('name'),
    figure: width('figure'),
    baseline: width('baseline'),
    ratio: width('ratio'),
    target: width('target'),
  };
  const line = (r) =>
    [
      String(r.name).padEnd(w.name),
      String(r.figure).padStart(w.figure),
      String(r.baseline).padStart(w.baseline),
      String(r.ratio).padStart(w.ratio),
      String(r.target).padEnd(w.target),
      r.verdict ?? 'result',
    ]
      .join('  ')
      .trimEnd();
  console.log(line({ ...header, verdict: 'result' }));
  for (const r of rows) console.log(line(r));
}
