import { spawnSync } from 'node:child_process';
import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LAYOUT_DEFAULTS, locate, pathClassifier } from '../../src/domain/layout.js';
import { branchName } from '../../src/domain/naming.js';
import { parseRequest } from '../../src/domain/request.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { parseHcl } from '../support/hcl.js';

const { policy } = loadPolicyFile();

/** The rules of DESIGN.md, written independently of the schema as an oracle. */
const RESERVED = new Set([
  'backend',
  'locals',
  'main',
  'networks',
  'outputs',
  'providers',
  'terraform',
  'variables',
  'versions',
]);
const dbNameOracle = (s: string) =>
  /^[a-z][a-z0-9-]{0,39}$/.test(s) && !s.includes('--') && !s.endsWith('-') && !RESERVED.has(s);

/** Names close to the rules, so both sides of every rule are explored, plus arbitrary text. */
const nearNames = fc.oneof(
  fc.string({
    unit: fc.constantFrom('a', 'z', 'q', '0', '9', '-', '-', 'A', '_', '.', '/', ' ', 'é', '\n'),
    maxLength: 44,
  }),
  fc.string({ maxLength: 50 }),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,45}$/),
  fc.constantFrom(...RESERVED),
);
// A letter, then groups of alphanumerics each optionally led by one hyphen: valid by construction.
const validNames = fc
  .tuple(
    fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
    fc.array(fc.tuple(fc.boolean(), fc.stringMatching(/^[a-z0-9]{1,6}$/)), { maxLength: 12 }),
  )
  .map(([first, groups]) => first + groups.map(([hyphen, g]) => (hyphen ? `-${g}` : g)).join(''))
  .map((name) => name.slice(0, 40).replace(/-+$/, ''))
  .filter((name) => !RESERVED.has(name));

const base = { engine: 'mysql', environment: 'dev' } as const;

describe('properties', () => {
  it('accepts a db_name exactly when the rules allow it', () => {
    fc.assert(
      fc.property(nearNames, (name) => {
        expect(parseRequest({ ...base, db_name: name }).ok).toBe(dbNameOracle(name));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts nothing outside the rules for any field', () => {
    const anyValue = fc.oneof(
      fc.anything(),
      fc.constantFrom('mysql', 'postgres', 'mariadb', 'aurora', 'instance', 'small', 'xlarge', 1, 5, 6, 0),
    );
    const body = fc.record(
      {
        db_name: fc.oneof(validNames, anyValue),
        engine: anyValue,
        environment: fc.oneof(fc.constantFrom('dev', 'prod', 'Prod'), anyValue),
        deployment: anyValue,
        size: anyValue,
        engine_version: anyValue,
        instances: anyValue,
        owner: anyValue,
        tags: fc.oneof(fc.dictionary(fc.string(), fc.string(), { maxKeys: 22 }), anyValue),
        extra: anyValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, (input) => {
        const result = parseRequest(input);
        if (!result.ok) return;
        const r = input as Record<string, unknown>;
        expect(Object.keys(r).every((k) => k !== 'extra')).toBe(true);
        expect(dbNameOracle(r.db_name as string)).toBe(true);
        expect(['mysql', 'postgres', 'mariadb']).toContain(r.engine);
        if ('deployment' in r) expect(['aurora-serverless', 'aurora', 'instance']).toContain(r.deployment);
        if ('size' in r) expect(['small', 'medium', 'large', 'xlarge']).toContain(r.size);
        if ('instances' in r)
          expect(
            Number.isInteger(r.instances) && (r.instances as number) >= 1 && (r.instances as number) <= 5,
          ).toBe(true);
        if ('tags' in r) {
          const tags = r.tags as Record<string, unknown>;
          expect(Object.keys(tags).length).toBeLessThanOrEqual(20);
          for (const [k, v] of Object.entries(tags)) {
            expect(k).toMatch(/^[A-Za-z0-9_.:/=+@-][A-Za-z0-9 _.:/=+@-]{0,127}$/);
            expect(v).toMatch(/^[A-Za-z0-9 _.:/=+@-]{0,256}$/);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('puts every accepted db_name in a file inside terraform/live/, in either layout', () => {
    fc.assert(
      fc.property(validNames, fc.constantFrom('dev', 'staging', 'prod'), (name, environment) => {
        const single = locate(LAYOUT_DEFAULTS['single-root'], name, environment).file;
        expect(posix.normalize(single)).toBe(single);
        expect(posix.dirname(single)).toBe('terraform/live');
        expect(posix.basename(single)).toBe(`${name}.tf`);
        const own = locate(LAYOUT_DEFAULTS['per-database'], name, environment);
        expect(posix.normalize(own.file)).toBe(own.file);
        expect(own.file).toBe(`terraform/live/${environment}/${name}/main.tf`);
        expect(posix.normalize(posix.join(own.root, own.moduleSource))).toBe('terraform/modules/rds');
        expect(posix.normalize(posix.join(own.root, own.backendConfig ?? ''))).toBe(
          'terraform/live/backend.hcl',
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('reads every located file back as its own database, and no two databases share a root or a state key', () => {
    const layout = LAYOUT_DEFAULTS['per-database'];
    const classify = pathClassifier(layout);
    const environment = fc.constantFrom('dev', 'staging', 'prod', 'qa-2');
    fc.assert(
      fc.property(validNames, environment, validNames, environment, (name, env, otherName, otherEnv) => {
        const here = locate(layout, name, env);
        expect(classify(here.file)).toEqual({
          kind: 'database',
          environment: env,
          dbName: name,
          root: here.root,
        });
        const there = locate(layout, otherName, otherEnv);
        if (name !== otherName || env !== otherEnv) {
          expect(there.root).not.toBe(here.root);
          expect(there.stateKey).not.toBe(here.stateKey);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('gives every accepted db_name a branch name git accepts', () => {
    const names = fc.sample(validNames, { numRuns: 300, seed: 42 });
    names.push('a', 'a'.repeat(40), 'a-b-c');
    // One git process checks all of them: `git check-ref-format --stdin` is not a thing, so loop in sh.
    const branches = names.map((n) => branchName(n));
    const script =
      'while IFS= read -r b; do git check-ref-format --branch "$b" >/dev/null 2>&1 || echo "REFUSED $b"; done';
    const out = spawnSync('sh', ['-c', script], { input: `${branches.join('\n')}\n`, encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe('');
    // And the check itself can fail:
    expect(spawnSync('git', ['check-ref-format', '--branch', 'feature/provision-rds-a..b']).status).not.toBe(
      0,
    );
  });

  it('renders HCL whose parsed database name and module label equal the input', async () => {
    await fc.assert(
      fc.asyncProperty(validNames, fc.constantFrom('mysql', 'postgres', 'mariadb'), async (name, engine) => {
        const result = resolveRequest({ db_name: name, engine, environment: 'dev' }, policy, {
          requestId: 'prop',
        });
        if (!result.ok) throw new Error(JSON.stringify(result.issues));
        const parsed = (await parseHcl('p.tf', renderTerraform(result.value.spec))) as {
          module: Record<string, Array<{ name: string }>>;
        };
        expect(Object.keys(parsed.module)).toEqual([name]);
        expect(parsed.module[name]?.[0]?.name).toBe(name);
      }),
      { numRuns: 200 },
    );
  });
});

describe('moduleSource', () => {
  it('points from the generated file to terraform/modules/rds wherever the file template puts it', () => {
    const single = LAYOUT_DEFAULTS['single-root'];
    expect(locate(single, 'a', 'dev').moduleSource).toBe('../modules/rds');
    expect(locate({ ...single, file: 'terraform/live/prod/{db_name}.tf' }, 'a', 'dev').moduleSource).toBe(
      '../../modules/rds',
    );
    expect(locate({ ...single, file: 'terraform/{db_name}.tf' }, 'a', 'dev').moduleSource).toBe(
      './modules/rds',
    );
    expect(locate(LAYOUT_DEFAULTS['per-database'], 'a', 'dev').moduleSource).toBe('../../../modules/rds');
  });
});
