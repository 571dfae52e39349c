import { diffLines } from 'diff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange, type CurrentDatabase } from '../../src/domain/change.js';
import { ownValue } from '../../src/domain/own-keys.js';
import { type EnvironmentPolicy, type Policy, versionsFor } from '../../src/domain/policy.js';
import { type Deployment, type Engine, type FieldIssue, SIZES, type Size } from '../../src/domain/request.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { type DatabaseSpec, runsOn } from '../../src/domain/spec.js';
import { readDatabaseFile } from '../../src/render/read-database-file.js';
import { hasDigest, renderTerraform, withoutDigest } from '../../src/render/terraform.js';
import { packagedPolicy, writeSingleRootPolicy } from '../support/layouts.js';

/**
 * Day-2 changes as properties: for any database created from an accepted request and any sequence of
 * changes, each read back from the file the previous one wrote (as the service reads the base branch),
 * the accepted ones move exactly the settings they name and the file's diff touches only their lines;
 * the refused ones are refused naming the field. The expectations are written here independently of
 * src/domain/change.ts, as an oracle.
 */

const POLICIES: Record<string, Policy> = {
  'per-database': packagedPolicy.policy,
  'single-root': writeSingleRootPolicy().policy.policy,
};
const CREATED_BY = 'create-01';
const DB_NAME = 'orders-db';

/** Tag keys of several widths (a longer key realigns the map), and one tag every database starts with. */
const TAG_KEYS = ['app', 'team', 'cost-center', 'a', 'Data Classification', 'x.y/z=1'];
const OWNERS = ['team-a', 'team-b', 'platform team', 'someone@example.com'];

const env = (policy: Policy, name: string) => ownValue(policy.environments, name) as EnvironmentPolicy;
const isAurora = (deployment: Deployment) => deployment !== 'instance';

/** Every version the policy names for the engine, in either family: some are downgrades, some majors. */
function versionsOfEngine(policy: Policy, engine: Engine): string[] {
  const families = ownValue(policy.engines, engine) ?? {};
  const all = Object.values(families).flatMap((family) => (family ? family.allowed : []));
  return [...new Set(all)].sort();
}

// ---- The oracle's own reading of engine versions (RDS's rules, not the code's) ----

const numbers = (version: string) =>
  version
    .replace('.mysql_aurora.', '.')
    .split('.')
    .map((part) => Number(part));

function olderThan(a: string, b: string): boolean {
  const [x, y] = [numbers(a), numbers(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === undefined) return true;
    if (y[i] === undefined) return false;
    if (x[i] !== y[i]) return (x[i] as number) < (y[i] as number);
  }
  return false;
}

/** PostgreSQL's major is its first number; MySQL's and MariaDB's the first two; Aurora MySQL's its MySQL's. */
function major(engine: Engine, version: string): string {
  const parts = version.split('.');
  return engine === 'postgres' ? (parts[0] as string) : parts.slice(0, 2).join('.');
}

// ---- Generators ----

interface Created {
  policyName: string;
  policy: Policy;
  current: CurrentDatabase;
  content: string;
}

/** An accepted creation request under one of the policies, and the file it writes, read back. */
const createdDatabase = fc
  .record({
    policyName: fc.constantFrom(...Object.keys(POLICIES)),
    envPick: fc.nat(),
    enginePick: fc.nat(),
    deploymentPick: fc.nat(),
    sizePick: fc.nat(),
    versionPick: fc.nat(),
    instancesPick: fc.nat(),
    owner: fc.option(fc.constantFrom(...OWNERS), { nil: undefined }),
    legacy: fc.boolean(),
    tags: fc.dictionary(fc.constantFrom(...TAG_KEYS), fc.stringMatching(/^[a-z0-9 ._-]{0,12}$/), {
      maxKeys: 4,
    }),
  })
  .map((pick): Created => {
    const policy = POLICIES[pick.policyName] as Policy;
    const pickOf = <T>(list: readonly T[], n: number) => list[n % list.length] as T;
    const environment = pickOf(Object.keys(policy.environments), pick.envPick);
    const e = env(policy, environment);
    const engine = pickOf(e.engines, pick.enginePick);
    const deployment = pickOf(
      e.deployments.allowed.filter((d) => runsOn(engine, d)),
      pick.deploymentPick,
    );
    const version = pickOf(versionsFor(policy, e, engine, deployment)?.allowed ?? [], pick.versionPick);
    const span = e.instances.max - e.instances.min + 1;
    const request = {
      db_name: DB_NAME,
      engine,
      environment,
      deployment,
      size: pickOf(e.sizes.allowed, pick.sizePick),
      engine_version: version,
      instances: deployment === 'instance' ? 1 : e.instances.min + (pick.instancesPick % span),
      ...((pick.owner ?? (e.owner_required ? 'team-a' : undefined)) && {
        owner: pick.owner ?? 'team-a',
      }),
      ...(Object.keys(pick.tags).length > 0 && { tags: pick.tags }),
    };
    const resolved = resolveRequest(request, policy, { requestId: CREATED_BY });
    if (!resolved.ok) throw new Error(`creation refused: ${JSON.stringify(resolved.issues)}`);
    // A file written before apply_immediately and final_snapshot_identifier existed reads with nulls.
    const rendered = renderTerraform(resolved.value.spec);
    const content = pick.legacy
      ? rendered.replace(/^( {2}(apply_immediately|final_snapshot_identifier) |# Digest: ).*\n/gm, '')
      : rendered;
    const current = readBack(content, resolved.value.spec, policy);
    // A counterexample shows the request, not the policy and the file.
    const show = () => `${pick.policyName}${pick.legacy ? ', legacy file' : ''}: ${JSON.stringify(request)}`;
    return { policyName: pick.policyName, policy, current, content, [fc.toStringMethod]: show } as Created;
  });

const FIELDS = ['size', 'instances', 'engine_version', 'owner', 'tags', 'deployment'] as const;

/**
 * A change as a requester might send it: one to three settings, picked at apply time from what the
 * database's environment allows (`plausible`, most changes) or from anything the schema takes, so some
 * are refused; now and then with a field no change may name. Versions come from the database's own
 * engine (the generator does not know it): a plausible one from its family, any other from either.
 */
const changeIntent = fc.record({
  plausible: fc.constantFrom(true, true, true, false),
  fields: fc.subarray([...FIELDS], { minLength: 1, maxLength: 3 }),
  pick: fc.nat(),
  size: fc.constantFrom(...SIZES),
  instances: fc.integer({ min: 1, max: 5 }),
  owner: fc.constantFrom(...OWNERS),
  tags: fc.dictionary(
    fc.constantFrom(...TAG_KEYS),
    fc.oneof(fc.stringMatching(/^[a-z0-9 ._-]{0,12}$/), fc.constant(null)),
    { minKeys: 1, maxKeys: 3 },
  ),
  deployment: fc.constantFrom<Deployment>('aurora', 'aurora-serverless', 'instance'),
  allow_major_version_upgrade: fc.option(fc.boolean(), { nil: undefined }),
  fixed: fc.oneof(
    { weight: 15, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('engine', 'environment', 'db_name') },
  ),
});
type ChangeIntent = typeof changeIntent extends fc.Arbitrary<infer T> ? T : never;

/** The JSON body a requester sends for an intent, against the database as it is now. */
function bodyOf(intent: ChangeIntent, policy: Policy, spec: DatabaseSpec): Record<string, unknown> {
  const e = env(policy, spec.environment);
  const pickOf = <T>(list: readonly T[]) => list[intent.pick % list.length] as T;
  const plausible: Record<(typeof FIELDS)[number], () => unknown> = {
    size: () => pickOf(e.sizes.allowed),
    instances: () =>
      spec.deployment === 'instance'
        ? 1
        : e.instances.min + (intent.pick % (e.instances.max - e.instances.min + 1)),
    engine_version: () => pickOf(versionsFor(policy, e, spec.engine, spec.deployment)?.allowed ?? []),
    owner: () => intent.owner,
    tags: () => intent.tags,
    deployment: () =>
      isAurora(spec.deployment) ? pickOf(e.deployments.allowed.filter(isAurora)) : 'instance',
  };
  const any: Record<(typeof FIELDS)[number], () => unknown> = {
    ...plausible,
    size: () => intent.size,
    instances: () => intent.instances,
    engine_version: () => pickOf(versionsOfEngine(policy, spec.engine)),
    deployment: () => intent.deployment,
  };
  const body: Record<string, unknown> = {};
  for (const field of intent.fields) body[field] = (intent.plausible ? plausible : any)[field]();
  if (intent.allow_major_version_upgrade !== undefined)
    body.allow_major_version_upgrade = intent.allow_major_version_upgrade;
  if (intent.fixed !== undefined)
    body[intent.fixed] = { engine: 'postgres', environment: 'staging', db_name: 'other-db' }[intent.fixed];
  return body;
}

// ---- The oracle ----

interface Expected {
  /** Fields the answer must name. */
  required: Set<string>;
  /** Fields it may name besides (a consequence of a required one). */
  optional: Set<string>;
  /** Accepted settings but every named one equals the current: "changes nothing". */
  nothing: boolean;
  majorUpgrade: boolean;
  tags: Record<string, string>;
  /** Why, for the refusals a run must meet: downgrade, major without the flag, instance and Aurora. */
  reasons: string[];
}

function expectedOf(policy: Policy, current: CurrentDatabase, body: Record<string, unknown>): Expected {
  const { spec } = current;
  const e = env(policy, spec.environment);
  const required = new Set<string>();
  const optional = new Set<string>();
  const reasons: string[] = [];
  for (const fixed of ['engine', 'environment', 'db_name']) if (fixed in body) required.add(fixed);

  const deployment = (body.deployment as Deployment | undefined) ?? spec.deployment;
  if (body.deployment !== undefined) {
    if (isAurora(deployment) !== isAurora(spec.deployment)) {
      required.add('deployment');
      reasons.push('instance and Aurora');
      // The other family's versions and instance counts are then judged against the wrong family.
      optional.add('engine_version');
      optional.add('instances');
    } else if (!e.deployments.allowed.includes(deployment)) required.add('deployment');
    else if (spec.engine === 'mysql' && deployment !== spec.deployment) {
      // Backtrack, on for Aurora MySQL provisioned, is set only when a cluster is created.
      required.add('deployment');
      reasons.push('Aurora MySQL between aurora and serverless');
    }
  }
  const size = body.size as Size | undefined;
  if (size !== undefined && !e.sizes.allowed.includes(size)) required.add('size');
  const instances = body.instances as number | undefined;
  if (instances !== undefined) {
    const within =
      deployment === 'instance'
        ? instances === 1
        : instances >= e.instances.min && instances <= e.instances.max;
    if (!within) required.add('instances');
  }
  const version = (body.engine_version as string | undefined) ?? spec.engineVersion;
  let majorUpgrade = false;
  if (body.engine_version !== undefined) {
    if (olderThan(version, spec.engineVersion)) {
      required.add('engine_version');
      reasons.push('downgrade');
    } else if (major(spec.engine, version) !== major(spec.engine, spec.engineVersion)) {
      majorUpgrade = true;
      if (body.allow_major_version_upgrade !== true) {
        required.add('engine_version');
        reasons.push('major without the flag');
      }
    }
  }
  if (
    (body.engine_version !== undefined || body.deployment !== undefined) &&
    isAurora(deployment) === isAurora(spec.deployment) &&
    !versionsFor(policy, e, spec.engine, deployment)?.allowed.includes(version)
  )
    required.add('engine_version');

  const tags: Record<string, string> = { ...current.request.tags };
  for (const [key, value] of Object.entries((body.tags ?? {}) as Record<string, string | null>)) {
    if (value === null) delete tags[key];
    else tags[key] = value;
  }
  if (Object.keys(tags).length > 20) required.add('tags');

  const named = Object.keys(body).filter((k) => k !== 'allow_major_version_upgrade');
  if (named.length === 0) required.add('(body)');
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const nothing =
    required.size === 0 &&
    (size === undefined || size === spec.size) &&
    deployment === spec.deployment &&
    (instances === undefined || instances === spec.instances) &&
    version === spec.engineVersion &&
    (body.owner === undefined || body.owner === spec.owner) &&
    same(sortedKeys(tags), sortedKeys(current.request.tags ?? {}));
  return { required, optional, nothing, majorUpgrade, tags, reasons };
}

const sortedKeys = (record: Record<string, string>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The field an issue names: `tags.app` names tags. */
const fieldOf = (issue: FieldIssue) => issue.path.split(/[.[]/, 1)[0] as string;

// ---- What a change may touch in the file ----

/** The module's attribute lines each named field may touch. */
const ATTRIBUTES: Record<string, readonly string[]> = {
  size: [
    'instance_class',
    'serverless_min_capacity',
    'serverless_max_capacity',
    'allocated_storage',
    'max_allocated_storage',
  ],
  instances: ['instances'],
  engine_version: ['engine_version', 'allow_major_version_upgrade'],
  deployment: ['deployment', 'instance_class', 'serverless_min_capacity', 'serverless_max_capacity'],
};

/**
 * Whether a line the diff adds or removes belongs to a setting the change names: the header's first two
 * lines always (request id, summary), the named fields' attributes and tags, and apply_immediately when
 * the policy's value differs from the file's. A tag line that only moves its `=` (a longer key joined
 * the map) belongs to a tags change.
 */
function allowedLine(
  line: string,
  body: Record<string, unknown>,
  before: DatabaseSpec,
  after: DatabaseSpec,
  policy: Policy,
): boolean {
  if (line.startsWith('# Generated by rds-provisioner for request ')) return true;
  if (line.startsWith(`# ${before.dbName}: `)) return true;
  // The digest is of the file's text: any change moves it.
  if (line.startsWith('# Digest: sha256:')) return true;
  // An emptied line between groups: the serverless group comes and goes with the deployment.
  if (line.trim() === '') return body.deployment !== undefined;
  const attribute = /^ {2}([a-z_]+) +=/.exec(line);
  if (attribute) {
    const name = attribute[1] as string;
    if (name === 'apply_immediately')
      return before.applyImmediately !== env(policy, before.environment).apply_immediately;
    return Object.keys(body).some((field) => ownValue(ATTRIBUTES, field)?.includes(name));
  }
  const tag = /^ {4}"((?:[^"\\]|\\.)*)" +=/.exec(line);
  if (tag) {
    const key = tag[1] as string;
    if (key === 'owner' && body.owner !== undefined) return true;
    const patch = (body.tags ?? {}) as Record<string, unknown>;
    if (key !== 'owner' && Object.hasOwn(patch, key)) return true;
    return body.tags !== undefined && ownValue(before.tags, key) === ownValue(after.tags, key);
  }
  return false;
}

// ---- Running a sequence ----

function readBack(content: string, spec: DatabaseSpec, policy: Policy = layoutPolicy(spec)): CurrentDatabase {
  const file = readDatabaseFile(content, spec.location.file, policy.git);
  if (file.kind !== 'generated') throw new Error(`read back as ${file.kind}: ${file.reason}`);
  return file;
}

/** The policy whose layout put the file where it is. */
const layoutPolicy = (spec: DatabaseSpec): Policy =>
  (spec.location.stateKey === null ? POLICIES['single-root'] : POLICIES['per-database']) as Policy;

/** The spec the oracle expects after an accepted change: only the named settings move. */
function expectedSpec(
  policy: Policy,
  before: DatabaseSpec,
  body: Record<string, unknown>,
  expected: Expected,
  requestId: string,
): DatabaseSpec {
  const size = (body.size as Size | undefined) ?? before.size;
  const deployment = (body.deployment as Deployment | undefined) ?? before.deployment;
  const sizing = policy.sizes[size];
  const owner = (body.owner as string | undefined) ?? before.owner;
  const resized = body.size !== undefined || body.deployment !== undefined;
  const serverless = deployment === 'aurora-serverless';
  return {
    ...before,
    requestId,
    size,
    deployment,
    engineVersion: (body.engine_version as string | undefined) ?? before.engineVersion,
    allowMajorVersionUpgrade: before.allowMajorVersionUpgrade || expected.majorUpgrade,
    applyImmediately: env(policy, before.environment).apply_immediately,
    instances: (body.instances as number | undefined) ?? before.instances,
    owner,
    instanceClass: !resized ? before.instanceClass : serverless ? null : sizing.instance_class,
    serverless: !resized
      ? before.serverless
      : serverless
        ? { minCapacity: sizing.serverless.min_capacity, maxCapacity: sizing.serverless.max_capacity }
        : null,
    storage:
      before.storage && body.size !== undefined
        ? {
            ...before.storage,
            // RDS cannot shrink storage.
            allocatedGb: Math.max(before.storage.allocatedGb, sizing.storage.allocated_gb),
            maxAllocatedGb: Math.max(before.storage.maxAllocatedGb, sizing.storage.max_allocated_gb),
          }
        : before.storage,
    tags: sortedKeys({
      ...expected.tags,
      environment: before.environment,
      owner,
      'managed-by': 'rds-provisioner',
      'request-id': CREATED_BY,
    }),
  };
}

/** What a run covered: accepted changes by field, refusals by field, and the kinds worth counting. */
class Coverage {
  readonly counts = new Map<string, number>();
  add(what: string) {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }
  of(what: string) {
    return this.counts.get(what) ?? 0;
  }
}

interface FileDiff {
  removed: string[];
  added: string[];
}

function diffOf(before: string, after: string): FileDiff {
  const lines = (part: { value: string }) => part.value.replace(/\n$/, '').split('\n');
  const parts = diffLines(before, after);
  return {
    removed: parts.filter((p) => p.removed).flatMap(lines),
    added: parts.filter((p) => p.added).flatMap(lines),
  };
}

/** The lines of the file's diff that no setting the change names accounts for. */
function strayLines(
  before: string,
  after: string,
  body: Record<string, unknown>,
  specs: { before: DatabaseSpec; after: DatabaseSpec },
  policy: Policy,
): string[] {
  const diff = diffOf(before, after);
  return [...diff.removed.map((l) => `-${l}`), ...diff.added.map((l) => `+${l}`)].filter((marked) => {
    const line = marked.slice(1);
    return !allowedLine(line, body, specs.before, specs.after, policy);
  });
}

/**
 * Applies each change to the database as its file reads back, checks each answer against the oracle,
 * and gives the last file and the spec the oracle built for it.
 */
function runSequence(created: Created, intents: ChangeIntent[], coverage = new Coverage()) {
  const { policy } = created;
  let current = created.current;
  let content = created.content;
  let modelSpec = created.current.spec;
  intents.forEach((intent, i) => {
    const body = bodyOf(intent, policy, current.spec);
    const expected = expectedOf(policy, current, body);
    const requestId = `change-${i + 1}`;
    const result = applyChange(current, body, policy, requestId);
    const context = `step ${i + 1}: ${JSON.stringify(body)} on ${JSON.stringify(current.request)}`;

    if (expected.required.size > 0 || expected.nothing) {
      expect(result.ok, context).toBe(false);
      if (result.ok) return;
      if (expected.nothing) {
        expect(result.issues, context).toEqual([
          { path: '(body)', message: expect.stringMatching(/changes nothing/) },
        ]);
        coverage.add('changes nothing');
      } else {
        const fields = result.issues.map(fieldOf);
        for (const field of expected.required) expect(fields, context).toContain(field);
        const may = new Set([...expected.required, ...expected.optional]);
        for (const field of fields) expect(may.has(field), `${context}: names ${field}`).toBe(true);
        for (const field of expected.required) coverage.add(`refused ${field}`);
        for (const reason of expected.reasons) coverage.add(`refused: ${reason}`);
      }
      for (const issue of result.issues) expect(issue.message, context).not.toBe('');
      return;
    }
    if (!result.ok) throw new Error(`${context}: refused ${JSON.stringify(result.issues)}`);
    const after = result.value.spec;
    modelSpec = expectedSpec(policy, modelSpec, body, expected, requestId);
    expect(after, context).toEqual(modelSpec);

    const next = renderTerraform(after);
    expect(strayLines(content, next, body, { before: current.spec, after }, policy), context).toEqual([]);

    const read = readBack(next, after, policy);
    expect(read.spec, context).toEqual(after);
    expect(read.request, context).toEqual(result.value.request);
    for (const field of Object.keys(body)) coverage.add(`accepted ${field}`);
    if (expected.majorUpgrade) coverage.add('accepted major upgrade');
    if (current.spec.applyImmediately === null) coverage.add('accepted on a legacy file');
    current = read;
    content = next;
  });
  return { content, current, modelSpec };
}

describe('a sequence of changes to a database', () => {
  it('leaves the file a fresh render of the final spec, each step touching only the lines of what it names, and refuses what the oracle refuses', () => {
    const coverage = new Coverage();
    fc.assert(
      fc.property(
        createdDatabase,
        fc.array(changeIntent, { minLength: 1, maxLength: 8 }),
        (created, intents) => {
          const { content, current, modelSpec } = runSequence(created, intents, coverage);
          // A legacy file no change was accepted for keeps no digest; any the service writes has one.
          const rendered = renderTerraform(modelSpec);
          expect(content).toBe(hasDigest(content) ? rendered : withoutDigest(rendered));
          if (content !== created.content) expect(hasDigest(content)).toBe(true);
          const read = readBack(content, modelSpec, created.policy);
          expect(read.spec).toEqual(modelSpec);
          expect(current.spec).toEqual(modelSpec);
        },
      ),
      { numRuns: 400 },
    );
    // Not vacuous: every kind of change was accepted and every kind of refusal met.
    const kinds = [
      'accepted on a legacy file',
      ...['size', 'instances', 'engine_version', 'owner', 'tags', 'deployment', 'major upgrade'].map(
        (field) => `accepted ${field}`,
      ),
      ...['size', 'instances', 'engine_version', 'deployment', 'engine', 'environment', 'db_name'].map(
        (field) => `refused ${field}`,
      ),
      ...[
        'downgrade',
        'major without the flag',
        'instance and Aurora',
        'Aurora MySQL between aurora and serverless',
      ].map((why) => `refused: ${why}`),
      'changes nothing',
    ];
    for (const kind of kinds) expect(coverage.of(kind), kind).toBeGreaterThan(0);
  }, 120_000);

  // Fails while the known defect above stands: remove `.fails` and the tolerance once it is fixed.
  it('a major upgrade touches only the engine_version line and adds allow_major_version_upgrade', () => {
    const policy = POLICIES['per-database'] as Policy;
    const resolved = resolveRequest(
      {
        db_name: DB_NAME,
        engine: 'mysql',
        environment: 'dev',
        deployment: 'instance',
        engine_version: '8.0',
      },
      policy,
      { requestId: CREATED_BY },
    );
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
    const before = renderTerraform(resolved.value.spec);
    const current = readBack(before, resolved.value.spec, policy);
    const result = applyChange(
      current,
      { engine_version: '8.4', allow_major_version_upgrade: true },
      policy,
      'change-1',
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const diff = diffOf(before, renderTerraform(result.value.spec));
    const named = (lines: string[]) => lines.slice(2).map((l) => l.trim().split(/ +=/, 1)[0]);
    // The header's request line and the digest, then only the version, and the flag RDS requires.
    expect(named(diff.removed)).toEqual(['engine_version']);
    expect(named(diff.added)).toEqual(['engine_version', 'allow_major_version_upgrade']);
  });
});
