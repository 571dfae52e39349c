#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExtractor } from './fixture-extractor.mjs';

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
  // A creation branch left at an earlier request's merged head is started afresh (GitHubHost.resetBranch).
  { method: 'patch', path: '/repos/{owner}/{repo}/git/refs/{ref}' },
  // The host reads files only: of the four 200 forms (directory array, file, symlink, submodule), the file one.
  { method: 'get', path: '/repos/{owner}/{repo}/contents/{path}', only200: 'Content File' },
  { method: 'put', path: '/repos/{owner}/{repo}/contents/{path}' },
  { method: 'delete', path: '/repos/{owner}/{repo}/contents/{path}' },
  { method: 'get', path: '/repos/{owner}/{repo}/git/trees/{tree_sha}' },
  { method: 'get', path: '/repos/{owner}/{repo}/git/blobs/{file_sha}' },
  // init-repo --github: every file of a new repository's setup in one commit (a tree, a commit, a branch).
  { method: 'post', path: '/repos/{owner}/{repo}/git/trees' },
  { method: 'post', path: '/repos/{owner}/{repo}/git/commits' },
  { method: 'get', path: '/repos/{owner}/{repo}/pulls' },
  { method: 'post', path: '/repos/{owner}/{repo}/pulls' },
  { method: 'get', path: '/repos/{owner}/{repo}/pulls/{pull_number}' },
  { method: 'post', path: '/repos/{owner}/{repo}/issues/{issue_number}/labels' },
  { method: 'post', path: '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers' },
  { method: 'put', path: '/repos/{owner}/{repo}/pulls/{pull_number}/merge' },
  // The files of a directory in one call (GitHubHost.readDirectory): a 302 to the archive on codeload.
  { method: 'get', path: '/repos/{owner}/{repo}/tarball/{ref}' },
  // The plan comment, one per pull request, edited in place (GitHubHost.upsertPullRequestComment), found
  // among the comments of the account the credentials belong to: a token's user, or a GitHub App's bot.
  { method: 'get', path: '/repos/{owner}/{repo}/issues/{issue_number}/comments' },
  { method: 'post', path: '/repos/{owner}/{repo}/issues/{issue_number}/comments' },
  { method: 'patch', path: '/repos/{owner}/{repo}/issues/comments/{comment_id}' },
  { method: 'get', path: '/user' },
  { method: 'get', path: '/app' },
  // Whether a commit is on a branch (GitHubHost.containsCommit).
  { method: 'get', path: '/repos/{owner}/{repo}/compare/{basehead}' },
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

runExtractor({
  script: 'node scripts/extract-github-openapi.mjs',
  name: PACKAGE_NAME,
  version: PACKAGE_VERSION,
  sizeNote: 'about 385 MB',
  envVar: 'GITHUB_OPENAPI_DIR',
  defaultOut,
  installedDir: join(root, 'node_modules', ...PACKAGE_NAME.split('/')),
  extract: (packageDir) => {
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
    return {
      text: `${format(fixture)}\n`,
      summary: `${operations.length} operations from ${PACKAGE_NAME}@${PACKAGE_VERSION}`,
    };
  },
});
