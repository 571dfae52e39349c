import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LAYOUT_DEFAULTS, type LayoutKind, locate } from '../../src/domain/layout.js';
import { type Policy, versionsFor } from '../../src/domain/policy.js';
import { type RequestV1, SERVICE_TAG_KEYS } from '../../src/domain/request.js';
import { resolve, resolveRequest } from '../../src/domain/resolve.js';
import { type DatabaseSpec, runsOn } from '../../src/domain/spec.js';
import { type DatabaseFile, readDatabaseFile } from '../../src/render/read-database-file.js';
import { renderTerraform, withDigest } from '../../src/render/terraform.js';
import { packagedPolicy, policyWithLayout, writeSingleRootPolicy } from '../support/layouts.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/rendered', import.meta.url));
const REQUEST_ID = '01JD6Z3Q8W4M2N5P7R9T1V3X5Z';

const POLICIES: Record<string, Policy> = {
  'per-database': packagedPolicy.policy,
  'per-database, prod assumes a role': policyWithLayout('per-database', {
    roleArn: { prod: 'arn:aws:iam::123456789012:role/rds-provisioner-terraform' },
  }),
  'single-root': writeSingleRootPolicy().policy.policy,
};
const layoutOf = (kind: LayoutKind) => LAYOUT_DEFAULTS[kind];

function specFor(
  input: object,
  policy: Policy = packagedPolicy.policy,
  requestId = REQUEST_ID,
): DatabaseSpec {
  const result = resolveRequest(input, policy, { requestId });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value.spec;
}

function generated(file: DatabaseFile): Extract<DatabaseFile, { kind: 'generated' }> {
  if (file.kind !== 'generated') throw new Error(`${file.kind}: ${file.reason}`);
  return file;
}

function handEdited(file: DatabaseFile): string {
  expect(file.kind).toBe('hand-edited');
  return file.kind === 'generated' ? '' : file.reason;
}

/** The text with line `n` (1-based) replaced, removed (null) or followed by extra lines. */
function editLine(text: string, n: number, edit: (line: string) => string | null): string {
  const lines = text.split('\n');
  const changed = edit(lines[n - 1] as string);
  lines.splice(n - 1, 1, ...(changed === null ? [] : [changed]));
  return lines.join('\n');
}
const lineOf = (text: string, start: string) =>
  text.split('\n').findIndex((line) => line.trimStart().startsWith(start)) + 1;

// A requester's tags: the request schema's key and value rules, never a key the service sets.
const tagKey = fc
  .stringMatching(/^[A-Za-z0-9_.:/=+@-][A-Za-z0-9 _.:/=+@-]{0,15}$/)
  .filter(
    (k) =>
      !k.toLowerCase().startsWith('aws:') &&
      !(SERVICE_TAG_KEYS as readonly string[]).includes(k.toLowerCase()),
  );
const tagValue = fc.stringMatching(/^[A-Za-z0-9 _.:/=+@-]{0,20}$/);
const dbName = fc
  .tuple(
    fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
    fc.stringMatching(/^[a-z0-9]{0,8}(-[a-z0-9]{1,8}){0,3}$/),
  )
  .map(([first, rest]) => first + rest)
  .filter(
    (name) =>
      resolveRequest({ db_name: name, engine: 'mysql', environment: 'dev' }, packagedPolicy.policy, {
        requestId: 'r',
      }).ok,
  );
const requestId = fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/);

/**
 * Requests the policy accepts, across its environments, engines, deployments, sizes, versions and instance
 * counts; each optional field sometimes left to the policy's default.
 */
function acceptedRequests(policy: Policy): fc.Arbitrary<RequestV1> {
  return fc
    .constantFrom(...Object.keys(policy.environments))
    .chain((environment) => {
      const env = policy.environments[environment];
      if (!env) throw new Error(environment);
      return fc
        .constantFrom(...env.engines)
        .chain((engine) =>
          fc.constantFrom(...env.deployments.allowed.filter((d) => runsOn(engine, d))).chain((deployment) =>
            fc.record({
              db_name: dbName,
              environment: fc.constant(environment),
              engine: fc.constant(engine),
              deployment: fc.constant(deployment),
              size: fc.constantFrom(...env.sizes.allowed),
              engine_version: fc.constantFrom(
                ...(versionsFor(policy, env, engine, deployment)?.allowed ?? []),
              ),
              instances:
                deployment === 'instance'
                  ? fc.constant(1)
                  : fc.integer({ min: env.instances.min, max: env.instances.max }),
              owner: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _.:/=+@-]{0,20}$/),
              tags: fc.dictionary(tagKey, tagValue, { maxKeys: 6 }),
              omit: fc.subarray([
                'deployment',
                'size',
                'engine_version',
                'instances',
                'owner',
                'tags',
              ] as const),
            }),
          ),
        )
        .map(({ omit, ...request }) => {
          const out: Record<string, unknown> = { ...request };
          for (const field of omit) if (!(field === 'owner' && env.owner_required)) delete out[field];
          return out as RequestV1;
        });
    })
    .filter((request) => resolveRequest(request, policy, { requestId: 'r' }).ok);
}

describe('readDatabaseFile: files the service wrote read back as generated', () => {
  const fixtures = [
    ...readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.tf'))
      .map((f) => ({ file: join(FIXTURES, f), layout: 'single-root' as const })),
    ...readdirSync(join(FIXTURES, 'per-database')).map((f) => ({
      file: join(FIXTURES, 'per-database', f),
      layout: 'per-database' as const,
    })),
  ];

  it.each(fixtures)('$layout fixture $file renders back to its exact text', ({ file, layout }) => {
    const content = readFileSync(file, 'utf8');
    const [, name, environment] = /^# ([a-z0-9-]+): \S+ on .+ in ([a-z0-9-]+), size /m.exec(content) ?? [];
    const path = locate(layoutOf(layout), name as string, environment as string).file;
    const read = generated(readDatabaseFile(content, path, layoutOf(layout)));
    expect(read.requestId).toBe(REQUEST_ID);
    expect(renderTerraform(read.spec)).toBe(content);
    expect(read.spec.location.file).toBe(path);
    expect(read.request.db_name).toBe(name);
    expect(read.request.environment).toBe(environment);
    expect(read.spec.network.kind).toBe(layout === 'single-root' ? 'live-variable' : 'literal');
  });

  for (const [name, policy] of Object.entries(POLICIES)) {
    it(`${name}: any accepted request's file reads back as its spec, and its request resolves to that spec again`, () => {
      fc.assert(
        fc.property(acceptedRequests(policy), requestId, (input, id) => {
          const spec = specFor(input, policy, id);
          const content = renderTerraform(spec);
          const read = generated(readDatabaseFile(content, spec.location.file, policy.git));
          expect(read.requestId).toBe(id);
          expect(read.spec).toEqual(spec);
          const again = resolve(read.request, policy, { requestId: id });
          expect(again).toEqual({ ok: true, value: spec });
          // The requester's tags and owner, not the service's.
          expect(read.request.tags).toEqual(
            input.tags && Object.keys(input.tags).length > 0 ? input.tags : undefined,
          );
          expect(read.request.owner).toBe(input.owner);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('reads the settings as a request: the service tags and an unassigned owner left out', () => {
    const spec = specFor({
      db_name: 'orders',
      engine: 'postgres',
      environment: 'dev',
      tags: { app: 'shop' },
    });
    const read = generated(
      readDatabaseFile(renderTerraform(spec), spec.location.file, packagedPolicy.policy.git),
    );
    expect(read.request).toEqual({
      db_name: 'orders',
      engine: 'postgres',
      environment: 'dev',
      deployment: 'aurora-serverless',
      size: 'small',
      engine_version: '17.5',
      instances: 1,
      tags: { app: 'shop' },
    });
    expect(read.spec.account).toEqual({ region: 'eu-west-1', roleArn: null });
    expect(read.spec.defaultTags).toEqual({
      'managed-by': 'rds-provisioner',
      repository: 'github.com/REPLACE-ME/rds-provisioner',
    });
  });

  it('reads a file written before apply_immediately and final_snapshot_identifier as generated, both null', () => {
    const spec = specFor({
      db_name: 'legacy',
      engine: 'mysql',
      environment: 'staging',
      deployment: 'instance',
    });
    const current = renderTerraform(spec);
    expect(current).toContain('apply_immediately');
    expect(current).toContain('final_snapshot_identifier');
    const legacy = current
      .split('\n')
      .filter((line) => !/^ {2}(apply_immediately|final_snapshot_identifier) |^# Digest: /.test(line))
      .join('\n');
    const read = generated(readDatabaseFile(legacy, spec.location.file, packagedPolicy.policy.git));
    expect(read.spec).toEqual({ ...spec, applyImmediately: null, finalSnapshotIdentifier: null });
  });

  it('reads allow_major_version_upgrade = true, which only a change writes', () => {
    const spec = {
      ...specFor({ db_name: 'up', engine: 'postgres', environment: 'dev' }),
      allowMajorVersionUpgrade: true,
    };
    const content = renderTerraform(spec);
    expect(content).toMatch(/allow_major_version_upgrade += {1,2}true/);
    expect(generated(readDatabaseFile(content, spec.location.file, packagedPolicy.policy.git)).spec).toEqual(
      spec,
    );
  });

  it('reads a changed database: the header names the change, the request-id tag and snapshot name stay the creator', () => {
    const created = specFor({ db_name: 'shop', engine: 'mysql', environment: 'prod', owner: 'team-a' });
    const changed: DatabaseSpec = { ...created, requestId: '01JE0000000000000000000000', instances: 3 };
    const read = generated(
      readDatabaseFile(renderTerraform(changed), changed.location.file, packagedPolicy.policy.git),
    );
    expect(read.requestId).toBe('01JE0000000000000000000000');
    expect(read.spec).toEqual(changed);
    expect(read.request.instances).toBe(3);
  });
});

describe('readDatabaseFile: files edited by hand or written by someone else', () => {
  const git = packagedPolicy.policy.git;
  const spec = specFor({ db_name: 'my-app-db', engine: 'mysql', environment: 'dev', tags: { app: 'x' } });
  const content = renderTerraform(spec);
  const path = spec.location.file;

  it('reads a file with one value changed by hand, still valid HCL, as hand-edited naming the line', () => {
    const line = lineOf(content, 'engine ');
    const edited = editLine(content, line, (l) => l.replace('"aurora-mysql"', '"aurora-postgresql"'));
    const reason = handEdited(readDatabaseFile(edited, path, git));
    expect(reason).toContain(`line ${line}`);
    expect(reason).toContain('aurora-postgresql');
  });

  it.each([
    ['database_name', (l: string) => l.replace('"my_app_db"', '"other"')],
    ['deletion_protection', (l: string) => l.replace('false', '"false"')],
    ['"owner"', (l: string) => l.replace('"unassigned"', '"team-b"')],
    ['"environment"', (l: string) => l.replace('"dev"', '"prod"')],
    ['instances', (l: string) => l.replace('1', '01')],
    ['copy_tags_to_snapshot', (l: string) => l.replace('true', 'false')],
    ['source = "../', (l: string) => l.replace('modules/rds', 'modules/other')],
    ['region', (l: string) => l.replace('"eu-west-1"', 'var.region')],
  ])('reads %s changed by hand as hand-edited naming its line', (start, edit) => {
    const line = lineOf(content, start);
    expect(line).toBeGreaterThan(0);
    expect(handEdited(readDatabaseFile(editLine(content, line, edit), path, git))).toContain(`line ${line}`);
  });

  it('reads an extra attribute, a removed line and a reordered attribute as hand-edited, each naming its line', () => {
    const monitoring = lineOf(content, 'monitoring_interval');
    const extra = editLine(content, monitoring, (l) => `${l}\n  publicly_accessible = true`);
    expect(handEdited(readDatabaseFile(extra, path, git))).toMatch(
      new RegExp(`line ${monitoring + 1}\\b.*publicly_accessible`),
    );

    const removed = editLine(content, monitoring, () => null);
    expect(handEdited(readDatabaseFile(removed, path, git))).toContain(`line ${monitoring}`);

    const next = editLine(content, monitoring, () => null).split('\n');
    next.splice(monitoring, 0, content.split('\n')[monitoring - 1] as string);
    const reordered = next.join('\n');
    expect(reordered).not.toBe(content);
    expect(handEdited(readDatabaseFile(reordered, path, git))).toContain(`line ${monitoring}`);
  });

  it('reads a block added beside the module, or text after it, as hand-edited', () => {
    const withOutput = `${content}\noutput "x" {\n  value = 1\n}\n`;
    const lines = content.split('\n').length;
    expect(handEdited(readDatabaseFile(withOutput, path, git))).toContain(`line ${lines}`);
    expect(handEdited(readDatabaseFile(content.replace(/\n$/, ''), path, git))).toMatch(/ends/);
  });

  it("reads a header whose settings are not the service's as hand-edited naming line 2", () => {
    for (const edit of [
      (l: string) => l.replace('size small', 'size huge'),
      (l: string) => l.replace('mysql on', 'oracle on'),
      (l: string) => l.replace(', size', ' size'),
      (l: string) => l.replace('owner unassigned', 'owner !'),
    ]) {
      expect(handEdited(readDatabaseFile(editLine(content, 2, edit), path, git))).toContain('line 2');
    }
  });

  it('reads a file missing its request-id tag as hand-edited, even with its digest written anew', () => {
    const line = lineOf(content, '"request-id"');
    const edited = editLine(content, line, () => null);
    expect(handEdited(readDatabaseFile(edited, path, git))).toMatch(/digest no longer matches/);
    expect(handEdited(readDatabaseFile(withDigest(edited), path, git))).toMatch(/request-id/);
  });

  it('reads a value edited by hand into settings the service could write as hand-edited, by its digest', () => {
    const line = lineOf(content, 'instances');
    const edited = editLine(content, line, (text) => text.replace(/= \d+/, '= 2'));
    expect(edited).not.toBe(content);
    expect(handEdited(readDatabaseFile(edited, path, git))).toMatch(/^line 4: the digest no longer matches/);
  });

  it('reads a file that is not where its header puts it as hand-edited, naming both paths', () => {
    const reason = handEdited(readDatabaseFile(content, 'terraform/live/prod/my-app-db/main.tf', git));
    expect(reason).toContain('terraform/live/prod/my-app-db/main.tf');
    expect(reason).toContain(path);
  });

  it('reads a file with HCL the service never writes as hand-edited naming the line', () => {
    const line = lineOf(content, 'instances');
    const reason = handEdited(
      readDatabaseFile(
        editLine(content, line, () => '  instances = max(1, 2)'),
        path,
        git,
      ),
    );
    expect(reason).toContain(`line ${line}`);
  });

  it('reads a file without the header as foreign, with a reason', () => {
    for (const text of ['', 'module "x" {}\n', content.split('\n').slice(1).join('\n'), `\n${content}`]) {
      const read = readDatabaseFile(text, path, git);
      expect(read.kind).toBe('foreign');
      expect(read.kind === 'foreign' && read.reason).toMatch(/header|rds-provisioner/);
    }
  });

  it('keeps a reason short: one line of the file, never the whole file', () => {
    const line = lineOf(content, 'name ');
    const long = editLine(content, line, () => `  name = "${'x'.repeat(10_000)}"`);
    expect(handEdited(readDatabaseFile(long, path, git)).length).toBeLessThan(400);
  });

  it('answers 1 MB of junk, with or without a header, at once', () => {
    const mb = 1 << 20;
    const header = content.split('\n').slice(0, 3).join('\n');
    const junk = ['a'.repeat(mb), '['.repeat(mb), `${'"'.repeat(mb)}`, ' '.repeat(mb), '\n'.repeat(mb)];
    for (const body of junk)
      for (const text of [body, `${header}\n${body}`, `${header}\nmodule "my-app-db" {\n  tags = ${body}`]) {
        const started = performance.now();
        const read = readDatabaseFile(text, path, git);
        expect(performance.now() - started).toBeLessThan(1000);
        expect(read.kind).toBe(text === body ? 'foreign' : 'hand-edited');
        expect(read.kind === 'generated' ? '' : read.reason.length).toBeLessThan(400);
      }
  });
});
