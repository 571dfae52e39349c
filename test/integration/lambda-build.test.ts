/**
 * The Lambda functions as scripts/build-lambda.mjs builds them (what `sam build` deploys and the
 * benchmark measures): each under 1 MiB of code, a handler module that loads almost nothing at init,
 * chunks that all load, the first event served by the built api function, and what the build leaves
 * out or computes ahead (zod's other locales, Bottleneck's Redis code, the YAML parser, the policy parse).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuiltFunction,
  buildFunction,
  FUNCTIONS,
  OPTIONS,
  PLUGINS,
} from '../../scripts/build-lambda.mjs';
import { parsePolicy } from '../../src/domain/policy.js';
import { ROOT } from '../support/cli.js';
import { apiGatewayEvent } from '../support/lambda-events.js';

const MiB = 1024 * 1024;
/** The handler module and what it imports before its first event. */
const INIT_BUDGET_BYTES = 4 * 1024;

let dir: string;
const built = new Map<string, BuiltFunction>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rdsp-lambda-build-'));
  for (const fn of FUNCTIONS) built.set(fn.name, await buildFunction(fn, join(dir, fn.name)));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function node(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', ...env }, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The output files a function's handler module imports statically, itself included. */
function loadedAtInit(fn: BuiltFunction): string[] {
  const outputs = fn.metafile.outputs;
  const key = (file: string) => Object.keys(outputs).find((k) => join(ROOT, k) === file || k === file);
  const start = key(fn.outfile);
  if (!start) throw new Error(`no output ${fn.outfile} in the metafile`);
  const seen = new Set<string>([start]);
  for (const file of seen) {
    for (const imported of outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) seen.add(imported.path);
    }
  }
  return [...seen];
}

describe('the Lambda build', () => {
  it.each(FUNCTIONS.map((f) => f.name))('keeps %s under 1 MiB of code, every chunk counted', (name) => {
    const fn = built.get(name) as BuiltFunction;
    expect(fn.bytes, `${name}: ${(fn.bytes / 1024).toFixed(0)} KiB`).toBeLessThanOrEqual(MiB);
  });

  it.each(FUNCTIONS.map((f) => f.name))(
    'gives %s a handler module that loads a few KiB at init, the rest on the first event',
    (name) => {
      const fn = built.get(name) as BuiltFunction;
      const files = loadedAtInit(fn);
      const bytes = files.reduce((sum, file) => sum + (fn.metafile.outputs[file]?.bytes ?? 0), 0);
      expect(bytes, files.join(', ')).toBeLessThanOrEqual(INIT_BUDGET_BYTES);
      expect(fn.chunks).toBeGreaterThan(0);
    },
  );

  it('builds chunks that all load in a fresh node process, each function exporting its handler', async () => {
    for (const fn of built.values()) {
      const script = `
        const files = ${JSON.stringify(fn.files.map((f) => pathToFileURL(f).href))};
        for (const file of files) await import(file);
        const m = await import(${JSON.stringify(pathToFileURL(fn.outfile).href)});
        console.log(typeof m.handler);`;
      const r = await node(['--input-type=module', '-e', script]);
      expect(r.code, `${fn.name}: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim().split('\n').at(-1)).toBe('function');
    }
  });

  it('serves the first event from the built api function: GET /health in a fresh process', async () => {
    const api = built.get('api') as BuiltFunction;
    const event = apiGatewayEvent({ method: 'GET', path: '/health', userArn: null });
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(api.outfile).href)});
      const context = { functionName: 'api', awsRequestId: 'r1', getRemainingTimeInMillis: () => 30000 };
      const answer = await handler(${JSON.stringify(event)}, context);
      console.log('ANSWER ' + JSON.stringify(answer));`;
    const r = await node(['--input-type=module', '-e', script], {
      STATUS_TABLE: 'rds-provisioner-status',
      TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:requests',
      GITHUB_REPOSITORY: 'acme/infra',
      AWS_REGION: 'us-east-1',
      // GET /health calls no AWS service; one made by mistake fails at once.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    });
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('ANSWER ')) ?? '';
    const answer = JSON.parse(line.slice('ANSWER '.length)) as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'ok' });
  });

  it('lets an error escape a built handler with its stack in source positions, without --enable-source-maps', async () => {
    const worker = built.get('worker') as BuiltFunction;
    // No GITHUB_REPOSITORY: the worker's start-up fails with the configuration error, which escapes.
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(worker.outfile).href)});
      try {
        await handler({ Records: [] }, { getRemainingTimeInMillis: () => 30000 });
      } catch (error) {
        console.log('STACK ' + JSON.stringify(error.stack));
      }`;
    const r = await node(['--input-type=module', '-e', script], {
      STATUS_TABLE: 'rds-provisioner-status',
      TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:requests',
      GITHUB_REPOSITORY: '',
      AWS_REGION: 'us-east-1',
    });
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('STACK ')) ?? '';
    const stack = JSON.parse(line.slice('STACK '.length)) as string;
    expect(stack).toMatch(/^LambdaConfigError: invalid function environment: GITHUB_REPOSITORY/);
    expect(stack).toMatch(/src\/runtime\/lambda\/config\.ts:\d+:\d+/);
    expect(stack).not.toMatch(/\.mjs:\d+:\d+/);
  });

  it("leaves out zod's other locales, Bottleneck's Redis code and the YAML parser", () => {
    for (const fn of built.values()) {
      // What the output files hold (the metafile's inputs list what was read, tree-shaken or not).
      const inputs = [
        ...new Set(
          Object.values(fn.metafile.outputs).flatMap((out) =>
            Object.entries(out.inputs)
              .filter(([, input]) => input.bytesInOutput > 0)
              .map(([path]) => path),
          ),
        ),
      ];
      const locales = inputs.filter((p) => /zod\/v4\/locales\/(?!index\.js$)/.test(p));
      expect(
        locales.filter((p) => !p.endsWith('/en.js')),
        fn.name,
      ).toEqual([]);
      expect(
        inputs.filter((p) => /bottleneck\/lib\/(RedisDatastore|IORedisConnection|RedisConnection)/.test(p)),
        fn.name,
      ).toEqual([]);
      expect(
        inputs.filter((p) => p.startsWith('node_modules/yaml/')),
        fn.name,
      ).toEqual([]);
    }
  });

  it('carries the packaged policy as config/policy.yaml parses and validates', async () => {
    const { build } = await import('esbuild');
    const out = join(dir, 'packaged-policy.mjs');
    await build({
      ...OPTIONS,
      splitting: false,
      plugins: PLUGINS,
      absWorkingDir: ROOT,
      entryPoints: ['src/runtime/lambda/packaged-policy.ts'],
      outfile: out,
    });
    // The build replaced the module with its result: no YAML in it, the same policy out of it.
    expect(readFileSync(out, 'utf8')).not.toMatch(/parseDocument/);
    const { packagedPolicy } = (await import(pathToFileURL(out).href)) as {
      packagedPolicy: () => unknown;
    };
    const parsed = parsePolicy(
      readFileSync(join(ROOT, 'config/policy.yaml'), 'utf8'),
      'config/policy.yaml (packaged)',
    );
    expect(parsed.ok).toBe(true);
    expect(packagedPolicy()).toStrictEqual(parsed.ok ? parsed.value : undefined);
  });
});
