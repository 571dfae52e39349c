// Section 5: the Lambda bundles. `npm run build:lambda`'s bundles (scripts/build-lambda.mjs, which
// `sam build` runs too), each one's size (every chunk of it) against the 1 MiB target, and its cold init:
// a fresh node process that imports the handler module (not invoking it), as a new Lambda container
// does before its first event, beside a bare `node -e ''` measured in the same run, interleaved.
//
// Then the cold request on the API path, so that work moved from the import to the first invocation
// shows: a fresh process imports the api bundle and serves GET /health (or POST /provision) three times
// in a row (bench/lambda-invoke.mjs), against moto (DynamoDB, SNS, SQS, Secrets Manager made from
// template.yaml by test/support/aws-stack.ts) and the GitHub simulator (in this process). The first
// invocation is the cold one; the third is the warm baseline.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  // As the template configures the functions (no NODE_OPTIONS), and with --enable-source-maps, which
  // the template set before: what that flag would cost.
  const deployed = { ...process.env, POWERTOOLS_SERVICE_NAME: 'rds-provisioner', NODE_OPTIONS: '' };
  const withMaps = { ...deployed, NODE_OPTIONS: '--enable-source-maps' };
  // The floor of any ES module handler: node with an empty module script (the ES module loader's start).
  const samples = { bare: [], bareModule: [] };
  for (const fn of built) samples[fn.name] = { wall: [], import: [], wallMaps: [], importMaps: [] };
  // Interleaved: a bare node, then each bundle with and without source maps, run after run.
  for (let i = 0; i < runs + 2; i++) {
    const warm = i >= 2; // the first rounds warm the page cache
    const bare = once(cpu, ['-e', ''], deployed);
    const bareModule = once(cpu, ['--input-type=module', '-e', 'console.log(0)'], deployed);
    if (warm) samples.bare.push(bare.wallMs);
    if (warm) samples.bareModule.push(bareModule.wallMs);
    for (const fn of built) {
      const script = importScript(fn.outfile);
      const plain = once(cpu, ['--input-type=module', '-e', script], deployed);
      const mapped = once(cpu, ['--input-type=module', '-e', script], withMaps);
      if (!warm) continue;
      const s = samples[fn.name];
      s.wall.push(plain.wallMs);
      s.import.push(plain.importMs);
      s.wallMaps.push(mapped.wallMs);
      s.importMaps.push(mapped.importMs);
    }
  }
  const bareMs = median(samples.bare);
  const rows = [];
  const functions = [];
  for (const fn of built) {
    const s = samples[fn.name];
    const gzip = fn.files.reduce((sum, file) => sum + gzipSync(readFileSync(file)).length, 0);
    const wall = median(s.wall);
    rows.push(
      row(`${fn.name}: bundle, minified (every chunk)`, kib(fn.bytes), kib(MiB), fn.bytes / MiB, {
        ok: fn.bytes <= MiB,
        text: 'figure <= 1 MiB',
      }),
      row(
        `${fn.name}: cold init, fresh node importing the handler (ms)`,
        wall.toFixed(0),
        bareMs.toFixed(0),
        wall / bareMs,
        { ok: wall / bareMs <= 1.5, text: 'ratio <= 1.5' },
      ),
    );
    functions.push({
      name: fn.name,
      bytes: fn.bytes,
      entryBytes: fn.entryBytes,
      mapBytes: fn.mapBytes,
      chunks: fn.chunks,
      gzipBytes: gzip,
      buildMs: Math.round(fn.ms),
      wallMs: wall,
      importMs: median(s.import),
      wallSourceMapsMs: median(s.wallMaps),
      importSourceMapsMs: median(s.importMaps),
    });
  }
  const api = built.find((fn) => fn.name === 'api');
  const cold = await coldRequests({
    api,
    runs,
    cpu,
    variants: { deployed: deployed.NODE_OPTIONS, sourceMaps: withMaps.NODE_OPTIONS },
  });
  const coldBareMs = median(cold.bare);
  const requests = [];
  for (const [route, variants] of Object.entries(cold.routes)) {
    const summary = {};
    for (const [variant, s] of Object.entries(variants)) {
      summary[variant] = {
        answeredMs: median(s.answered),
        firstMs: median(s.first),
        warmMs: median(s.warm),
        importMs: median(s.import),
      };
    }
    const { answeredMs, firstMs, warmMs } = summary.deployed;
    rows.push(
      row(
        `api ${route}: cold start, spawn -> first answer (ms)`,
        answeredMs.toFixed(0),
        coldBareMs.toFixed(0),
        answeredMs / coldBareMs,
      ),
      row(
        `api ${route}: first invocation vs warm (ms)`,
        firstMs.toFixed(1),
        warmMs.toFixed(1),
        firstMs / warmMs,
      ),
    );
    requests.push({ route, ...summary });
  }
  return {
    rows,
    functions,
    bareMs,
    bareModuleMs: median(samples.bareModule),
    coldBareMs,
    requests,
    runs,
    cpu,
  };
}

// ---------------------------------------------------------------------------------------------------
// The cold request on the API path.

const TOKEN = 'ghp_benchColdRequestToken0123456789abcdefABCD';
const CALLER = 'arn:aws:sts::123456789012:assumed-role/Developer/bench';
const INVOCATIONS = 3;

/** moto, the GitHub simulator and the stack's data resources, made as the AWS tests make them. */
async function startAwsParts() {
  if (!existsSync(join(ROOT, '.venv', 'bin', 'moto_server'))) {
    throw new Error("section 5's cold request needs moto: run `bash scripts/venv.sh` first");
  }
  await import('../test/support/ts-register.mjs');
  const { startMoto } = await import('../test/support/moto.ts');
  const { createStack } = await import('../test/support/aws-stack.ts');
  const { startGitHubSimulator } = await import('../test/support/github-simulator.ts');
  const { apiGatewayEvent } = await import('../test/support/lambda-events.ts');
  const moto = await startMoto();
  const sim = await startGitHubSimulator({ owner: 'acme', repo: 'infra', tokens: [TOKEN] });
  const stack = await createStack(moto.clientConfig, {
    parameters: { GitHubRepository: 'acme/infra' },
    secretValues: { GitHubTokenSecret: TOKEN, GitHubWebhookSecret: 'whsec-bench-cold-request' },
  });
  const env = {
    ...moto.env,
    ...stack.env,
    GITHUB_REPOSITORY: 'acme/infra',
    GITHUB_API_URL: sim.url,
    POWERTOOLS_SERVICE_NAME: 'rds-provisioner',
    POWERTOOLS_METRICS_NAMESPACE: 'RdsProvisionerBench',
  };
  const stop = async () => {
    await sim.stop();
    await moto.stop();
  };
  return { env, apiGatewayEvent, stop };
}

/**
 * One fresh process, not blocking this one (the simulator answers from it): ms from spawn to the
 * first line on stdout that starts with `firstLine` (none: to exit), and the child's RESULT line.
 */
function spawnTimed(cpu, args, env, firstLine) {
  const [command, argv] = pinned(cpu, process.execPath, args);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstMs;
    let out = '';
    let err = '';
    const child = spawn(command, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (firstMs === undefined && firstLine && out.split('\n').some((l) => l.startsWith(firstLine))) {
        firstMs = performance.now() - started;
      }
    });
    child.stderr.on('data', (chunk) => {
      err = (err + chunk).slice(-4_000);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}: ${err}`));
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      resolve({ wallMs, firstMs: firstMs ?? wallMs, result: line ? JSON.parse(line.slice(7)) : undefined });
    });
  });
}

/**
 * The api bundle in a fresh process, served `INVOCATIONS` events of one route (bench/lambda-invoke.mjs),
 * with each NODE_OPTIONS of `variants`; a bare `node -e ''` spawned the same way in each round.
 */
async function coldRequests({ api, runs, cpu, variants }) {
  const parts = await startAwsParts();
  const dir = mkdtempSync(join(tmpdir(), 'rdsp-bench-lambda-'));
  const env = { ...process.env, ...parts.env, NODE_OPTIONS: '' };
  const invoke = join(ROOT, 'bench', 'lambda-invoke.mjs');
  const routes = {
    'GET /health': () => ({ method: 'GET', path: '/health' }),
    'POST /provision': (name) => ({
      method: 'POST',
      path: '/provision',
      body: { db_name: name, engine: 'postgres', environment: 'dev' },
    }),
  };
  const samples = { bare: [], routes: {} };
  for (const route of Object.keys(routes)) {
    samples.routes[route] = {};
    for (const variant of Object.keys(variants)) {
      samples.routes[route][variant] = { answered: [], first: [], warm: [], import: [] };
    }
  }
  let databases = 0;
  try {
    for (let i = 0; i < runs + 2; i++) {
      const warm = i >= 2;
      const bare = await spawnTimed(cpu, ['-e', ''], env);
      if (warm) samples.bare.push(bare.wallMs);
      for (const [route, call] of Object.entries(routes)) {
        for (const [variant, nodeOptions] of Object.entries(variants)) {
          const events = Array.from({ length: INVOCATIONS }, () =>
            parts.apiGatewayEvent({ userArn: CALLER, ...call(`cold-${++databases}`) }),
          );
          const file = join(dir, 'events.json');
          writeFileSync(file, JSON.stringify(events));
          const r = await spawnTimed(
            cpu,
            [invoke, api.outfile, file],
            { ...env, NODE_OPTIONS: nodeOptions },
            'ANSWERED',
          );
          const { calls, importMs } = r.result;
          for (const c of calls) {
            if (c.status < 200 || c.status >= 300)
              throw new Error(`${route} answered ${c.status} in a cold process`);
          }
          if (!warm) continue;
          const s = samples.routes[route][variant];
          s.answered.push(r.firstMs);
          s.first.push(calls[0].ms);
          s.warm.push(calls.at(-1).ms);
          s.import.push(importMs);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await parts.stop();
  }
  return samples;
}
