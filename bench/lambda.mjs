// Section 5: the Lambda bundles. `npm run build:lambda`'s bundles (scripts/build-lambda.mjs, the options
// template.yaml gives sam build), each one's size against the 1 MiB target, and its cold init: a fresh
// node process that imports the handler module (not invoking it), as a new Lambda container does before
// its first event, beside a bare `node -e ''` measured in the same run, interleaved.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { buildLambdas } from '../scripts/build-lambda.mjs';
import { median, pinned, ROOT, row } from './lib.mjs';

const MiB = 1024 * 1024;
const kib = (bytes) => `${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 0 })} KiB`;

/** One fresh process; wall time from spawn to exit, and what the child measured around its import. */
function once(cpu, args, env) {
  const [command, argv] = pinned(cpu, process.execPath, args);
  const started = performance.now();
  const child = spawnSync(command, argv, { cwd: ROOT, env, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`${argv.join(' ')} exited ${child.status}: ${child.stderr}`);
  const importMs = Number(child.stdout.trim().split('\n').at(-1));
  return { wallMs, importMs };
}

const importScript = (file) =>
  `const t = performance.now(); const m = await import(${JSON.stringify(file)}); ` +
  `if (typeof m.handler !== 'function') throw new Error('no handler'); console.log(performance.now() - t);`;

export async function benchLambda({ runs = 20, cpu = 1 } = {}) {
  const built = await buildLambdas();
  // As the template configures the functions (NODE_OPTIONS=--enable-source-maps), and without it.
  const base = { ...process.env, POWERTOOLS_SERVICE_NAME: 'rds-provisioner', NODE_OPTIONS: '' };
  const deployed = { ...base, NODE_OPTIONS: '--enable-source-maps' };
  const samples = { bare: [] };
  for (const fn of built) samples[fn.name] = { wall: [], import: [], wallNoMaps: [], importNoMaps: [] };
  // Interleaved: a bare node, then each bundle with and without source maps, run after run.
  for (let i = 0; i < runs + 2; i++) {
    const warm = i >= 2; // the first rounds warm the page cache
    const bare = once(cpu, ['-e', ''], base);
    if (warm) samples.bare.push(bare.wallMs);
    for (const fn of built) {
      const script = importScript(fn.outfile);
      const withMaps = once(cpu, ['--input-type=module', '-e', script], deployed);
      const without = once(cpu, ['--input-type=module', '-e', script], base);
      if (!warm) continue;
      const s = samples[fn.name];
      s.wall.push(withMaps.wallMs);
      s.import.push(withMaps.importMs);
      s.wallNoMaps.push(without.wallMs);
      s.importNoMaps.push(without.importMs);
    }
  }
  const bareMs = median(samples.bare);
  const rows = [];
  const functions = [];
  for (const fn of built) {
    const s = samples[fn.name];
    const gzip = gzipSync(readFileSync(fn.outfile)).length;
    const wall = median(s.wall);
    rows.push(
      row(`${fn.name}: bundle, minified`, kib(fn.bytes), kib(MiB), fn.bytes / MiB, {
        ok: fn.bytes <= MiB,
        text: 'figure <= 1 MiB',
      }),
      row(
        `${fn.name}: cold init, fresh node importing the handler (ms)`,
        wall.toFixed(0),
        bareMs.toFixed(0),
        wall / bareMs,
      ),
    );
    functions.push({
      name: fn.name,
      bytes: fn.bytes,
      gzipBytes: gzip,
      buildMs: Math.round(fn.ms),
      wallMs: wall,
      importMs: median(s.import),
      wallNoSourceMapsMs: median(s.wallNoMaps),
      importNoSourceMapsMs: median(s.importNoMaps),
    });
  }
  return { rows, functions, bareMs, runs, cpu };
}
