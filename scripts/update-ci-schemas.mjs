#!/usr/bin/env node
/**
 * Regenerates test/fixtures/ci-schemas/: the JSON schemas that test/integration/pipelines.test.ts validates
 * .circleci/config.yml and .github/workflows/*.yml against, copied byte for byte out of the PyPI package
 * check-jsonschema, which vendors them (check_jsonschema/builtin_schemas/vendor/):
 *
 *   circle-ci.json         -> circleci-config.schema.json  CircleCI's own schema (CircleCI-Public/circleci-yaml-language-server, schema.json)
 *   github-workflows.json  -> github-workflow.schema.json  SchemaStore's github-workflow.json (https://json.schemastore.org/github-workflow)
 *
 * The wheel is fetched with `pip download` (the PyPI registry only) into a temp dir, checked against the
 * pinned wheel digest, and each schema against the digest the package records for it in
 * builtin_schemas/vendor/sha256/. SOURCES.json beside the schemas records all of it; the test checks the
 * fixtures still match those digests.
 *
 *   node scripts/update-ci-schemas.mjs            # write the fixtures
 *   node scripts/update-ci-schemas.mjs --check    # exit 1 if the fixtures differ from the pinned release
 *
 * To move to a newer release: change PACKAGE_VERSION, run once with --accept-new-wheel to print the new wheel
 * digest, put it in WHEEL_SHA256, run again, and review the schema diff and the pipeline test.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'check-jsonschema';
const PACKAGE_VERSION = '0.39.0';
const WHEEL = `check_jsonschema-${PACKAGE_VERSION}-py3-none-any.whl`;
const WHEEL_SHA256 = '14ce5c94871c551268ea948ffe21e9f1464dc48fb20bf9a4c13deeaaf756cf9b';
const VENDOR_DIR = 'check_jsonschema/builtin_schemas/vendor';

const SCHEMAS = [
  {
    vendored: 'circle-ci.json',
    fixture: 'circleci-config.schema.json',
    upstream:
      'https://raw.githubusercontent.com/CircleCI-Public/circleci-yaml-language-server/main/schema.json',
    publisher: 'CircleCI (CircleCI-Public/circleci-yaml-language-server)',
    validates: '.circleci/config.yml',
  },
  {
    vendored: 'github-workflows.json',
    fixture: 'github-workflow.schema.json',
    upstream:
      'https://json.schemastore.org/github-workflow (SchemaStore src/schemas/json/github-workflow.json)',
    publisher: 'SchemaStore (SchemaStore/schemastore)',
    validates: '.github/workflows/*.yml',
  },
];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'test', 'fixtures', 'ci-schemas');

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function run(cmd, args) {
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

function main() {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const acceptNewWheel = args.includes('--accept-new-wheel');
  const unknown = args.filter((a) => !['--check', '--accept-new-wheel'].includes(a));
  if (unknown.length > 0) {
    console.error(`usage: node scripts/update-ci-schemas.mjs [--check] [--accept-new-wheel]`);
    process.exit(2);
  }

  const tmp = mkdtempSync(join(tmpdir(), 'ci-schemas-'));
  try {
    const python = process.env.PYTHON || 'python3';
    console.error(`fetching ${PACKAGE_NAME}==${PACKAGE_VERSION} from PyPI ...`);
    run(python, [
      '-m',
      'pip',
      'download',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--only-binary=:all:',
      '--dest',
      tmp,
      `${PACKAGE_NAME}==${PACKAGE_VERSION}`,
    ]);
    const wheelPath = join(tmp, WHEEL);
    if (!existsSync(wheelPath)) throw new Error(`expected ${WHEEL}, got ${readdirSync(tmp).join(', ')}`);
    const wheelDigest = sha256(readFileSync(wheelPath));
    if (wheelDigest !== WHEEL_SHA256) {
      if (!acceptNewWheel) throw new Error(`${WHEEL}: sha256 ${wheelDigest}, pinned ${WHEEL_SHA256}`);
      console.error(`new wheel digest (put it in WHEEL_SHA256): ${wheelDigest}`);
    }

    const extracted = join(tmp, 'wheel');
    run(python, ['-m', 'zipfile', '-e', wheelPath, extracted]);

    const files = new Map();
    const sources = {
      package: `${PACKAGE_NAME}==${PACKAGE_VERSION}`,
      registry: 'PyPI',
      wheel: WHEEL,
      wheel_sha256: wheelDigest,
      schemas: [],
    };
    for (const schema of SCHEMAS) {
      const bytes = readFileSync(join(extracted, VENDOR_DIR, schema.vendored));
      const recorded = readFileSync(
        join(extracted, VENDOR_DIR, 'sha256', schema.vendored.replace(/\.json$/, '.sha256')),
        'utf8',
      ).trim();
      const digest = sha256(bytes);
      if (digest !== recorded)
        throw new Error(`${schema.vendored}: sha256 ${digest}, the package records ${recorded}`);
      const parsed = JSON.parse(bytes.toString('utf8'));
      files.set(schema.fixture, bytes);
      sources.schemas.push({
        file: schema.fixture,
        vendored_as: `${VENDOR_DIR}/${schema.vendored}`,
        sha256: digest,
        json_schema_draft: parsed.$schema,
        publisher: schema.publisher,
        upstream: schema.upstream,
        validates: schema.validates,
      });
    }
    files.set('SOURCES.json', Buffer.from(`${JSON.stringify(sources, null, 2)}\n`));

    if (check) {
      const stale = [...files].filter(([name, bytes]) => {
        const path = join(outDir, name);
        return !existsSync(path) || !readFileSync(path).equals(bytes);
      });
      if (stale.length > 0) {
        console.error(
          `out of date: ${stale.map(([name]) => name).join(', ')}; run node scripts/update-ci-schemas.mjs`,
        );
        process.exit(1);
      }
      console.error('test/fixtures/ci-schemas is up to date');
      return;
    }
    mkdirSync(outDir, { recursive: true });
    for (const [name, bytes] of files) writeFileSync(join(outDir, name), bytes);
    console.error(`wrote ${[...files.keys()].join(', ')} to test/fixtures/ci-schemas/`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
