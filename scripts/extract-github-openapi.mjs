#!/usr/bin/env node
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPackage } from './temp-install.mjs';

const PACKAGE_NAME = '@octokit/openapi';
const PACKAGE_VERSION = '23.0.2';
const SPEC_FILE = 'generated/api.github.com.deref.json';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const defaultOut = join(root, 'test', 'fixtures', 'github-openapi.json');

/**
 * The operations the host uses (and PUT .../merge, which tests use to merge). `only200` narrows a response
 * that the spec documents as a oneOf of several forms to the one form the host reads.
 */
const OPERATIONS = [
  { method: 'get', path: '/repos/{owner}/{repo}' },
  { method: 'get', path: '/repos/{owner}/{repo}/git/ref/{ref}' },
  { method: 'post', path: '/repos/{owner}/{repo}/git/refs' },
  // The host reads files only: of the four 200 forms (directory array, file, symlink, submodule), the file one.
  { method: 'get', path: '/repos/{owner}/{repo}/contents/{path}', only200: 'Content File' },
  { method: 'put', path: '/repos/{owner}/{repo}/contents/{path}' },
  { method: 'get', path: '/repos/{owner}/{repo}/pulls' },
  { method: 'post', path: '/repos/{owner}/{repo}/pulls' },
  { method: 'get', path: '/repos/{owner}/{repo}/pulls/{pull_number}' },
  { method: 'post', path: '/repos/{owner}/{repo}/issues/{issue_number}/labels' },
  { method: 'post', path: '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers' },
  { method: 'put', path: '/repos/{owner}/{repo}/pulls/{pull_number}/merge' },
];

/** Error bodies GitHub sends from any endpoint (authentication, rate limits, server errors). */
const SHARED_SCHEMAS = [
  { name: 'basic-error', title: 'Basic Error', from: ['get', '/repos/{owner}/{repo}', '404'] },
  {
    name: 'validation-error',
    title: 'Validation Error',
    from: ['post', '/repos/{owner}/{repo}/git/refs', '422'],
  },
];

const LINE_WIDTH = 110;
const DOC_ONLY_KEYS = new Set(['description', 'summary', 'example', 'examples', 'externalDocs']);

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error(
    'usage: node scripts/extract-github-openapi.mjs [--package-dir DIR] [--out FILE] [--check]\n' +
      `  DIR: an installed ${PACKAGE_NAME}@${PACKAGE_VERSION} (also GITHUB_OPENAPI_DIR); default: ` +
      'node_modules, else npm install into a temp dir',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { packageDir: process.env.GITHUB_OPENAPI_DIR || undefined, out: defaultOut, check: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    if (arg === '--package-dir') opts.packageDir = value();
    else if (arg.startsWith('--package-dir=')) opts.packageDir = arg.slice('--package-dir='.length);
    else if (arg === '--out') opts.out = resolve(value());
    else if (arg.startsWith('--out=')) opts.out = resolve(arg.slice('--out='.length));
    else if (arg === '--check') opts.check = true;
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  return opts;
}

/** A copy without documentation-only keywords and x- extensions; keys sorted (property names too). */
function clean(value) {
  if (Array.isArray(value)) return value.map(clean);
  if (!value || typeof value !== 'object') return value;
  const out = {};
  for (const key of Object.keys(value).sort()) {
    if (key.startsWith('x-')) continue;
    // `description` is a documentation keyword everywhere except as a property name in `properties`.
    if (DOC_ONLY_KEYS.has(key) && !isPropertiesMap(value)) continue;
    out[key] = clean(value[key]);
  }
  return out;
}

/** `properties` maps hold property names as keys, which may be spelled like keywords (`description`). */
const propertiesMaps = new WeakSet();
function markPropertiesMaps(value) {
  if (Array.isArray(value)) {
    for (const v of value) markPropertiesMaps(v);
    return;
  }
  if (!value || typeof value !== 'object') return;
  if (value.properties && typeof value.properties === 'object') propertiesMaps.add(value.properties);
  for (const v of Object.values(value)) markPropertiesMaps(v);
}
const isPropertiesMap = (value) => propertiesMaps.has(value);

function jsonSchemaOf(content, where) {
  if (!content) return undefined;
  const media = content['application/json'] ?? content['application/scim+json'];
  if (!media) throw new Error(`${where}: no application/json content (${Object.keys(content).join(', ')})`);
  if (!media.schema) throw new Error(`${where}: application/json without a schema`);
  return media.schema;
}

function extractOperation(spec, { method, path, only200 }) {
  const op = spec.paths[path]?.[method];
  if (!op) throw new Error(`${method.toUpperCase()} ${path} is not in the spec`);
  const where = `${method.toUpperCase()} ${path}`;
  const parameters = (op.parameters ?? [])
    .filter((p) => p.in === 'path' || p.in === 'query')
    .map((p) => ({ in: p.in, name: p.name, required: p.required === true, schema: p.schema ?? {} }));

  let requestBody = null;
  if (op.requestBody) {
    const schema = jsonSchemaOf(op.requestBody.content, `${where} request body`);
    requestBody = { required: op.requestBody.required === true, schema };
  }

  const responses = {};
  for (const [status, response] of Object.entries(op.responses ?? {})) {
    let schema = response.content ? jsonSchemaOf(response.content, `${where} ${status}`) : undefined;
    if (status === '200' && only200) {
      const forms = schema?.oneOf ?? [];
      const picked = forms.find((form) => form.title === only200);
      if (!picked) throw new Error(`${where} 200: no oneOf form titled "${only200}"`);
      schema = picked;
    }
    responses[status] = schema === undefined ? {} : { schema };
  }
  return { method, operationId: op.operationId, path, parameters, requestBody, responses };
}

function sharedSchema(spec, { title, from: [method, path, status] }) {
  const schema = jsonSchemaOf(spec.paths[path]?.[method]?.responses?.[status]?.content, `${path} ${status}`);
  if (schema?.title !== title) throw new Error(`${method} ${path} ${status}: expected the "${title}" schema`);
  return schema;
}

/**
 * JSON with one-space indentation where a value does not fit on its line, and on one line where it does: the
 * deep, repetitive schemas stay diffable at about two thirds of the size of fully indented JSON.
 */
function format(value, indent = '') {
  const compact = JSON.stringify(value);
  if (value === null || typeof value !== 'object' || indent.length + compact.length <= LINE_WIDTH)
    return compact;
  const inner = `${indent} `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + format(v, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  let temp;
  let packageDir = opts.packageDir ? resolve(opts.packageDir) : undefined;
  if (!packageDir) {
    const local = join(root, 'node_modules', ...PACKAGE_NAME.split('/'));
    if (existsSync(join(local, SPEC_FILE))) packageDir = local;
  }
  try {
    if (!packageDir) {
      temp = installPackage(PACKAGE_NAME, PACKAGE_VERSION, 'about 385 MB');
      packageDir = temp.packageDir;
    }
    const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    if (pkg.name !== PACKAGE_NAME || pkg.version !== PACKAGE_VERSION) {
      throw new Error(
        `${packageDir} holds ${pkg.name}@${pkg.version}, expected ${PACKAGE_NAME}@${PACKAGE_VERSION}`,
      );
    }
    const spec = JSON.parse(readFileSync(join(packageDir, SPEC_FILE), 'utf8'));

    const operations = OPERATIONS.map((o) => extractOperation(spec, o)).sort(
      (a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method),
    );
    const schemas = Object.fromEntries(SHARED_SCHEMAS.map((s) => [s.name, sharedSchema(spec, s)]));
    markPropertiesMaps(operations);
    markPropertiesMaps(schemas);

    const fixture = {
      generated_by: 'scripts/extract-github-openapi.mjs',
      source: {
        package: PACKAGE_NAME,
        package_version: PACKAGE_VERSION,
        file: SPEC_FILE,
        openapi: spec.openapi,
        plan: spec.info?.['x-github-plan'] ?? null,
      },
      notes: [
        'OpenAPI 3.0 schema objects, dereferenced, as GitHub publishes them; only documentation keywords (description, summary, example, examples, externalDocs) and x- extensions are removed.',
        'responses: every documented status; {} when GitHub documents the status without a JSON body.',
        'GET /repos/{owner}/{repo}/contents/{path}: the 200 schema is the "Content File" form only (the host reads files, never directories, symlinks or submodules).',
        'schemas: error bodies GitHub sends from any endpoint (401, rate limits, 5xx), taken from the operations named in the script.',
      ],
      schemas: clean(schemas),
      operations: operations.map(clean),
    };
    const text = `${format(fixture)}\n`;
    const rel = relative(process.cwd(), opts.out) || opts.out;
    const summary = `${operations.length} operations from ${PACKAGE_NAME}@${PACKAGE_VERSION}`;
    if (opts.check) {
      const current = existsSync(opts.out) ? readFileSync(opts.out, 'utf8') : '';
      if (current !== text) {
        console.error(`${rel} is out of date: run node scripts/extract-github-openapi.mjs`);
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

try {
  main();
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
