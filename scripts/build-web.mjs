#!/usr/bin/env node
// Builds the self-service page into dist/web/: index.html, app.js (web/app.ts bundled by esbuild) and
// app.css (web/styles.css, minified). No CDN and no framework: three files the server serves as they are.
// `--check` type-checks web/ first (tsc -p web/tsconfig.json, DOM lib); `--watch` rebuilds on change.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const out = join(root, 'dist', 'web');
const args = new Set(process.argv.slice(2));

if (args.has('--check')) {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(web, 'tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
}

mkdirSync(out, { recursive: true });

const html = readFileSync(join(web, 'index.html'), 'utf8');
for (const asset of ['assets/app.js', 'assets/app.css']) {
  if (!html.includes(`"${asset}"`)) throw new Error(`web/index.html must reference ${asset}`);
}

const common = { logLevel: 'warning', legalComments: 'none', minify: true, target: 'es2022' };
const options = [
  {
    ...common,
    entryPoints: [join(web, 'app.ts')],
    outfile: join(out, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    tsconfig: join(web, 'tsconfig.json'),
  },
  {
    ...common,
    entryPoints: [join(web, 'styles.css')],
    outfile: join(out, 'app.css'),
    bundle: true,
    loader: { '.css': 'css' },
    target: ['chrome109', 'firefox115', 'safari15.4'],
  },
];

const copyHtml = () => copyFileSync(join(web, 'index.html'), join(out, 'index.html'));

if (args.has('--watch')) {
  copyHtml();
  for (const option of options) await (await esbuild.context(option)).watch();
  console.log(`watching web/ → ${out}`);
} else {
  const started = Date.now();
  await Promise.all(options.map((option) => esbuild.build(option)));
  copyHtml();
  console.log(`web page built in ${Date.now() - started} ms → dist/web/{index.html,app.js,app.css}`);
}
