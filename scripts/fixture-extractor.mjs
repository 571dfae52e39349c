// The frame both fixture extractors share: the command line (--package-dir, --out, --check), finding
// the npm package the fixture comes from (given, already installed, else installed into a temporary
// directory because it is too large to be a project dependency), checking its version, and writing the
// fixture or checking that it is up to date. Each extractor supplies only the extraction.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * @param {object} spec
 * @param {string} spec.script          how to run the extractor, for usage and the out-of-date hint
 * @param {string} spec.name            the npm package
 * @param {string} spec.version         its exact version
 * @param {string} spec.sizeNote        what a temporary install costs, e.g. 'about 400 MB'
 * @param {string} spec.envVar          variable naming an installed copy, like --package-dir
 * @param {string} spec.defaultOut      the fixture file
 * @param {string} [spec.installedDir]  an installed copy to use when present (node_modules)
 * @param {(packageDir: string) => { text: string, summary: string }} spec.extract
 */
export function runExtractor(spec) {
  try {
    main(spec);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

function main(spec) {
  const opts = options(spec);
  let temp;
  let packageDir = opts.packageDir ? resolve(opts.packageDir) : undefined;
  if (!packageDir && spec.installedDir && existsSync(join(spec.installedDir, 'package.json')))
    packageDir = spec.installedDir;
  try {
    if (!packageDir) {
      temp = installPackage(spec.name, spec.version, spec.sizeNote);
      packageDir = temp.packageDir;
    }
    const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    if (pkg.name !== spec.name || pkg.version !== spec.version) {
      throw new Error(
        `${packageDir} holds ${pkg.name}@${pkg.version}, expected ${spec.name}@${spec.version}`,
      );
    }
    const { text, summary } = spec.extract(packageDir);
    const rel = relative(process.cwd(), opts.out) || opts.out;
    if (opts.check) {
      const current = existsSync(opts.out) ? readFileSync(opts.out, 'utf8') : '';
      if (current !== text) {
        console.error(`${rel} is out of date: run ${spec.script}`);
        process.exitCode = 1;
      } else {
        console.error(`${rel} is up to date: ${summary}`);
      }
      return;
    }
    writeFileSync(opts.out, text);
    console.error(`wrote ${rel}: ${summary}, ${text.length} bytes`);
  } finally {
    if (temp) rmSync(temp.dir, { recursive: true, force: true });
  }
}

function options(spec) {
  const usage = (message) => {
    if (message) console.error(`error: ${message}`);
    console.error(
      `usage: ${spec.script} [--package-dir DIR] [--out FILE] [--check]\n` +
        `  DIR: an installed ${spec.name}@${spec.version} (also ${spec.envVar}); default: ` +
        `${spec.installedDir ? 'node_modules, else ' : ''}npm install into a temp dir`,
    );
    process.exit(2);
  };
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'package-dir': { type: 'string' },
        out: { type: 'string' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  if (values.help) usage();
  return {
    packageDir: values['package-dir'] ?? (process.env[spec.envVar] || undefined),
    out: resolve(values.out ?? spec.defaultOut),
    check: values.check,
  };
}

/** Installs one package at an exact version into a temporary directory; the caller deletes `dir`. */
function installPackage(name, version, sizeNote) {
  const dir = mkdtempSync(join(tmpdir(), `${name.replace(/^@/, '').replace(/\//g, '-')}-`));
  console.error(`installing ${name}@${version} into ${dir} (${sizeNote}) ...`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(
    npm,
    [
      'install',
      '--no-save',
      '--prefix',
      dir,
      `${name}@${version}`,
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`npm install failed (exit ${result.status ?? result.signal})`);
  }
  return { dir, packageDir: join(dir, 'node_modules', ...name.split('/')) };
}
