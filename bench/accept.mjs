// 1. Accept path: POST /provision on the real server (`serve --workers 0`: API only) beside a bare
// node:http server, same load generator, same connections and duration, rounds interleaved so both
// share the machine's noise. Servers on CPU 1, the load generator on CPU 0 (when taskset is there).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { canPin, cpuMs, fmt, pinned, ROOT, row, runNodeJson, startServer } from './lib.mjs';
import { allAccepted, loadTally } from './load-tally.mjs';

const SERVER_CPU = 1;
const LOAD_CPU = 0;

/** A reference server script from bench/, pinned like the real one; resolves once it prints its URL. */
async function startReference(script) {
  const token = randomBytes(24).toString('base64url');
  const [command, argv] = pinned(SERVER_CPU, process.execPath, [join(ROOT, 'bench', script)]);
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, BENCH_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  lines.close();
  child.stdout.resume();
  return {
    url: JSON.parse(first).url,
    token,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const load = (target, options) =>
  runNodeJson(
    join(ROOT, 'bench', 'load.mjs'),
    { url: target.url, token: target.token, ...options },
    {
      cpu: LOAD_CPU,
    },
  );

export async function benchAccept({
  connections = 10,
  seconds = 8,
  rounds = 2,
  warmup = 3,
  profileDir,
} = {}) {
  const targets = {
    bare: await startReference('bare-server.mjs'),
    hono: await startReference('hono-server.mjs'),
    real: await startServer({
      args: ['--workers', '0'],
      cpu: SERVER_CPU,
      nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    }),
  };
  const names = Object.keys(targets);
  const tally = loadTally(names);
  try {
    // Warm-up: JIT, connections, SQLite pages, the base tree in the git host's cache.
    for (const name of names) {
      const w = await load(targets[name], { connections, duration: warmup, prefix: `w${name[0]}` });
      if (Object.keys(w.other).length > 0 || w.errors > 0)
        throw new Error(`warm-up of ${name}: ${JSON.stringify({ other: w.other, errors: w.errors })}`);
    }
    for (let round = 0; round < rounds; round++) {
      // Interleaved, the order reversed every other round, so all three share the machine's noise.
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        const target = targets[name];
        const cpuBefore = cpuMs(target.pid);
        const r = allAccepted(
          name,
          await load(target, { connections, duration: seconds, prefix: `r${round}${name[0]}` }),
        );
        tally.add(round, name, r, cpuMs(target.pid) - cpuBefore);
      }
    }
  } finally {
    for (const name of names) await targets[name].stop();
  }
  const { rps, latency: lat, cpu, totals } = tally;
  const ratio = rps('real') / rps('bare');
  const rows = [
    row('POST /provision throughput (req/s)', fmt(rps('real'), 0), fmt(rps('bare'), 0), ratio, {
      ok: ratio >= 0.5,
      text: 'ratio >= 0.50',
    }),
    row(
      'POST /provision latency p50 (ms)',
      fmt(lat('real', 50), 2),
      fmt(lat('bare', 50), 2),
      lat('real', 50) / lat('bare', 50),
    ),
    row(
      'POST /provision latency p99 (ms)',
      fmt(lat('real', 99), 2),
      fmt(lat('bare', 99), 2),
      lat('real', 99) / lat('bare', 99),
    ),
    row('server CPU per request (ms)', fmt(cpu('real'), 3), fmt(cpu('bare'), 3), cpu('real') / cpu('bare')),
    row(
      'reference: Hono alone, throughput (req/s)',
      fmt(rps('hono'), 0),
      fmt(rps('bare'), 0),
      rps('hono') / rps('bare'),
    ),
    row(
      'reference: Hono alone, CPU per request (ms)',
      fmt(cpu('hono'), 3),
      fmt(cpu('bare'), 3),
      cpu('hono') / cpu('bare'),
    ),
  ];
  return {
    rows,
    setup: {
      connections,
      seconds,
      rounds,
      warmup,
      pinned: canPin ? `servers on CPU ${SERVER_CPU}, load generator on CPU ${LOAD_CPU}` : 'not pinned',
      requests: Object.fromEntries(names.map((n) => [n, totals[n].ok])),
    },
    rounds: tally.rounds,
  };
}
