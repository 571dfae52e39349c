// `npm run build:lambda`: bundles each Lambda entry with esbuild, with the options template.yaml gives
// `sam build` (Metadata BuildProperties), into dist/lambda/<function>/index.mjs (exporting `handler`)
// plus its source map. The benchmark measures these files; `sam build` makes its own with the same
// options.
//   --metafile   also write dist/lambda/<function>/meta.json (esbuild's input and output sizes)
//   --analyze    print the largest inputs of each bundle
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeMetafile, build } from 'esbuild';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(ROOT, 'dist', 'lambda');

/** The functions of template.yaml: directory under dist/lambda, entry, logical id. */
export const FUNCTIONS = [
  { name: 'api', entry: 'src/runtime/lambda/api.ts', logicalId: 'ApiFunction' },
  { name: 'worker', entry: 'src/runtime/lambda/worker.ts', logicalId: 'WorkerFunction' },
  { name: 'reconcile', entry: 'src/runtime/lambda/reconcile.ts', logicalId: 'ReconcileFunction' },
];

/**
 * The esbuild options of template.yaml's BuildProperties (SAM passes the same to the esbuild CLI):
 * one minified ESM file for Node 20, a source map, YAML imported as text, and a createRequire banner
 * so that bundled CommonJS packages can require Node's built-in modules.
 */
export const OPTIONS = {
  bundle: true,
  platform: 'node',
  // ES module builds first (the AWS SDK's dist-es): they tree-shake; esbuild's default for node is main.
  mainFields: ['module', 'main'],
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: true,
  loader: { '.yaml': 'text' },
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: 'warning',
};

/** Builds every function (or those named); returns their bundle paths and sizes in bytes. */
export async function buildLambdas({ only, metafile = false } = {}) {
  const results = [];
  for (const fn of FUNCTIONS.filter((f) => !only || only.includes(f.name))) {
    const dir = join(OUT_DIR, fn.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, 'index.mjs');
    const started = performance.now();
    const result = await build({
      ...OPTIONS,
      absWorkingDir: ROOT,
      entryPoints: [fn.entry],
      outfile,
      metafile: true,
    });
    const ms = performance.now() - started;
    if (metafile) writeFileSync(join(dir, 'meta.json'), JSON.stringify(result.metafile));
    results.push({ ...fn, outfile, bytes: statSync(outfile).size, ms, metafile: result.metafile });
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const results = await buildLambdas({ metafile: args.includes('--metafile') });
  for (const r of results) {
    console.log(
      `${r.name.padEnd(10)} ${(r.bytes / 1024).toFixed(0).padStart(6)} KiB  ${r.outfile.slice(ROOT.length + 1)}  (${r.ms.toFixed(0)} ms)`,
    );
    if (args.includes('--analyze')) console.log(await analyzeMetafile(r.metafile, { verbose: false }));
  }
}
