// The Lambda functions' build. `sam build` runs it through the Makefile (template.yaml: BuildMethod
// makefile, one `build-<LogicalId>` target per function, into SAM's ARTIFACTS_DIR); `npm run
// build:lambda` runs it for every function into dist/lambda/<function>/, the files the benchmark
// measures. One build, so what is measured is what is deployed.
//
// Each function's directory holds what Lambda loads: `<entry>.mjs` (template.yaml's Handler is
// `<entry>.handler`), the chunks it imports on its first event under chunks/, and a source map beside
// each file. The handler module itself is small: src/runtime/lambda/<entry>.ts imports the function's
// code on the first invocation (lazy-handler.ts), so a cold container's init loads only that.
//
//   node scripts/build-lambda.mjs                          every function into dist/lambda/<name>/
//   node scripts/build-lambda.mjs --function ApiFunction --outdir DIR     one (by logical id or name)
//   --metafile   also write <dir>/meta.json (esbuild's input and output sizes)
//   --analyze    print the largest inputs of each function
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { analyzeMetafile, build } from 'esbuild';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(ROOT, 'dist', 'lambda');

/** The functions of template.yaml: directory under dist/lambda, entry, logical id. */
export const FUNCTIONS = [
  { name: 'api', entry: 'src/runtime/lambda/api.ts', logicalId: 'ApiFunction' },
  { name: 'worker', entry: 'src/runtime/lambda/worker.ts', logicalId: 'WorkerFunction' },
  { name: 'reconcile', entry: 'src/runtime/lambda/reconcile.ts', logicalId: 'ReconcileFunction' },
  { name: 'web', entry: 'src/runtime/lambda/web.ts', logicalId: 'WebFunction' },
];

/**
 * esbuild's options for every function: minified ESM for Node 20 (the files run on nodejs22.x as well),
 * split into chunks so that what a handler imports on its first event is a file of its own, a source
 * map per file without the sources' text (a stack trace needs the mappings and the file names only),
 * YAML imported as text, and a createRequire banner so that bundled CommonJS packages can require
 * Node's built-in modules.
 */
export const OPTIONS = {
  bundle: true,
  platform: 'node',
  // ES module builds first (the AWS SDK's dist-es): they tree-shake; esbuild's default for node is main.
  mainFields: ['module', 'main'],
  format: 'esm',
  target: 'node20',
  minify: true,
  splitting: true,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  sourcemap: true,
  sourcesContent: false,
  loader: { '.yaml': 'text' },
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: 'warning',
};

// ---------------------------------------------------------------------------------------------------
// Plugins: what the bundles leave out or compute here rather than in every cold container.

/**
 * zod's error messages in English only. `@hono/zod-openapi` imports zod's namespace object as a value,
 * which keeps every export, its 40-odd locales (about 255 KiB) included; the service configures none
 * (zod's default is English, imported by zod's schemas directly), so `z.locales` holds `en` alone here.
 */
const englishZodOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: 'js',
    }));
  },
};

/**
 * Bottleneck's light build, without its Redis clustering (about 60 KiB): the Octokit plugins import
 * `bottleneck/light.js` already; src/adapters/github/octokit.ts imports `bottleneck`, for the same
 * local limiter class.
 */
const bottleneckLight = {
  name: 'bottleneck-light',
  setup(b) {
    b.onResolve({ filter: /^bottleneck$/ }, (args) =>
      b.resolve('bottleneck/light.js', { kind: args.kind, resolveDir: args.resolveDir }),
    );
  },
};

/**
 * No browser user-agent parser (bowser, about 35 KiB): the AWS SDK's core re-exports its browser
 * user-agent provider, which imports bowser on first use; on Node the SDK builds its user agent with
 * util-user-agent-node and never calls it. Should anything call it, it gets an empty parse (the SDK
 * then sends "other" for the OS and "unknown" for the browser), not a failure.
 */
const noBrowserUserAgentParser = {
  name: 'no-browser-user-agent-parser',
  setup(b) {
    b.onResolve({ filter: /^bowser$/ }, () => ({ path: 'bowser', namespace: 'no-bowser' }));
    b.onLoad({ filter: /.*/, namespace: 'no-bowser' }, () => ({
      contents: 'export const parse = () => ({});',
      loader: 'js',
    }));
  },
};

const PACKAGED_POLICY = /[\\/]src[\\/]runtime[\\/]lambda[\\/]packaged-policy\.ts$/;
let packagedPolicyJson;

/**
 * The packaged policy parsed and validated once, here: the build runs packagedPolicy() from
 * src/runtime/lambda/packaged-policy.ts itself (config/policy.yaml through the domain's parsePolicy;
 * an invalid policy fails the build) and the bundle gets its result as JSON, so the functions carry
 * neither the YAML parser (about 110 KiB) nor the parse.
 */
async function precomputedPolicy() {
  if (packagedPolicyJson) return packagedPolicyJson;
  const dir = await mkdtemp(join(tmpdir(), 'rdsp-packaged-policy-'));
  try {
    const outfile = join(dir, 'packaged-policy.mjs');
    await build({
      ...OPTIONS,
      splitting: false,
      sourcemap: false,
      minify: false,
      absWorkingDir: ROOT,
      entryPoints: ['src/runtime/lambda/packaged-policy.ts'],
      outfile,
    });
    const { packagedPolicy } = await import(pathToFileURL(outfile).href);
    const value = packagedPolicy();
    const json = JSON.stringify(value);
    // JSON drops undefined fields and turns non-plain values into something else: refuse those.
    if (!isDeepStrictEqual(JSON.parse(json), value)) {
      throw new Error('packagedPolicy() is not plain JSON data: it cannot be computed at build time');
    }
    packagedPolicyJson = json;
    return json;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const policyAtBuildTime = {
  name: 'policy-at-build-time',
  setup(b) {
    // src/domain/policy.ts imports yaml for parsePolicy, which the bundles no longer call; yaml is
    // CommonJS, which esbuild keeps whenever it is imported unless told that loading it does nothing.
    b.onResolve({ filter: /^yaml$/ }, async (args) => {
      if (args.pluginData?.yaml) return undefined;
      const resolved = await b.resolve('yaml', {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: { yaml: true },
      });
      return { ...resolved, sideEffects: false };
    });
    b.onLoad({ filter: PACKAGED_POLICY }, async () => ({
      contents:
        '// config/policy.yaml, parsed and validated by scripts/build-lambda.mjs.\n' +
        `const packaged = ${JSON.stringify(await precomputedPolicy())};\n` +
        'export function packagedPolicy() { return JSON.parse(packaged); }\n',
      loader: 'js',
    }));
  },
};

export const PLUGINS = [englishZodOnly, bottleneckLight, noBrowserUserAgentParser, policyAtBuildTime];

// ---------------------------------------------------------------------------------------------------

/** The function by its name (`api`) or its logical id (`ApiFunction`). */
export function functionNamed(name) {
  const fn = FUNCTIONS.find((f) => f.name === name || f.logicalId === name);
  if (!fn) {
    throw new Error(
      `no Lambda function ${JSON.stringify(name)}: one of ${FUNCTIONS.map((f) => `${f.name} (${f.logicalId})`).join(', ')}`,
    );
  }
  return fn;
}

async function filesUnder(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

/**
 * Builds one function into `dir` (emptied first). Returns the handler module's path (`outfile`), the
 * bytes of every code file Lambda gets (`bytes`: the handler module and its chunks; `entryBytes`: the
 * handler module alone, what init loads) and of the source maps, and esbuild's metafile.
 */
export async function buildFunction(fn, dir) {
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  const result = await build({
    ...OPTIONS,
    plugins: PLUGINS,
    absWorkingDir: ROOT,
    entryPoints: [fn.entry],
    outdir: dir,
    metafile: true,
  });
  const ms = performance.now() - started;
  const outfile = join(dir, `${basename(fn.entry).replace(/\.ts$/, '')}.mjs`);
  const files = await filesUnder(dir);
  const size = (filter) => files.filter(filter).reduce((sum, file) => sum + statSync(file).size, 0);
  return {
    ...fn,
    dir,
    outfile,
    files: files.filter((f) => f.endsWith('.mjs')),
    bytes: size((f) => f.endsWith('.mjs')),
    entryBytes: statSync(outfile).size,
    mapBytes: size((f) => f.endsWith('.map')),
    chunks: files.filter((f) => f.endsWith('.mjs')).length - 1,
    ms,
    metafile: result.metafile,
  };
}

/** Builds every function (or those named) under dist/lambda. */
export async function buildLambdas({ only, metafile = false } = {}) {
  const results = [];
  for (const fn of FUNCTIONS.filter((f) => !only || only.includes(f.name))) {
    const built = await buildFunction(fn, join(OUT_DIR, fn.name));
    if (metafile) writeFileSync(join(built.dir, 'meta.json'), JSON.stringify(built.metafile));
    results.push(built);
  }
  return results;
}

const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      function: { type: 'string' },
      outdir: { type: 'string' },
      metafile: { type: 'boolean', default: false },
      analyze: { type: 'boolean', default: false },
    },
  });
  if (values.outdir && !values.function) throw new Error('--outdir needs --function');
  const results = values.function
    ? [
        await buildFunction(
          functionNamed(values.function),
          values.outdir ?? join(OUT_DIR, functionNamed(values.function).name),
        ),
      ]
    : await buildLambdas();
  for (const r of results) {
    if (values.metafile) writeFileSync(join(r.dir, 'meta.json'), JSON.stringify(r.metafile));
    console.log(
      `${r.name.padEnd(10)} ${kib(r.bytes).padStart(9)} in all (handler module ${kib(r.entryBytes)}, ${r.chunks} chunks; maps ${kib(r.mapBytes)})  ${relative(ROOT, r.outfile)}  (${r.ms.toFixed(0)} ms)`,
    );
    if (values.analyze) console.log(await analyzeMetafile(r.metafile, { verbose: false }));
  }
}
