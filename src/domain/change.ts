import * as z from 'zod';
import { versionMove } from './engine-version.js';
import { ownKeyRecord, ownValue } from './own-keys.js';
import type { EnvironmentPolicy, Policy } from './policy.js';
import { applyPolicy } from './policy-rules.js';
import {
  type FieldIssue,
  type RequestV1,
  type Result,
  requestV1Schema,
  reservedTagKey,
  SERVICE_TAG_KEYS,
  TAG_KEY,
  TAG_VALUE,
  TAGS_MAX,
  toFieldIssues,
} from './request.js';
import type { DatabaseSpec } from './spec.js';

/**
 * A change to a database that exists, version 1: a JSON merge patch (RFC 7396) of the settings a
 * database may change in place. Pure: no I/O.
 */

/** The fields a change may name. */
export const CHANGEABLE = [
  'size',
  'instances',
  'engine_version',
  'owner',
  'tags',
  'deployment',
  'allow_major_version_upgrade',
] as const;

/** Fields of a database that no change can move, and why: each is a new database, not a change. */
const FIXED: Record<string, string> = {
  db_name: 'a database keeps its name; ask for a new database and retire this one',
  engine: 'changing the engine is a migration, not a change: ask for a new database and move the data',
  environment: 'a database stays in its environment; ask for a new database in the other environment',
};

const { size, instances, engine_version, owner, deployment } = requestV1Schema.shape;

/** Tags by key: a string sets the tag, null removes it (RFC 7396). */
const tagPatch = ownKeyRecord(
  z
    .record(
      z.string().regex(TAG_KEY, {
        message: 'tag keys are 1-128 characters of letters, digits, spaces and _ . : / = + @ -',
      }),
      z.union(
        [
          z.string().regex(TAG_VALUE, {
            message: 'tag values are at most 256 characters of letters, digits, spaces and _ . : / = + @ -',
          }),
          z.null(),
        ],
        {
          error: 'tag values must be strings, or null to remove the tag',
        },
      ),
      { error: 'tags must be an object of tag keys and string values (null removes a tag)' },
    )
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        const reserved = reservedTagKey(key);
        if (reserved) ctx.addIssue({ code: 'custom', path: [key], message: reserved });
      }
    }),
  'tag key',
);

const changeFields = z.object({
  size: size.optional(),
  instances: instances.optional(),
  engine_version: engine_version.optional(),
  owner: owner.optional(),
  tags: tagPatch.optional(),
  deployment: deployment.optional(),
  allow_major_version_upgrade: z.boolean({ error: 'must be true or false' }).optional(),
});

const isObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const changeV1Schema = ownKeyRecord(
  changeFields.catchall(z.unknown()).superRefine(
    (value, ctx) => {
      for (const key of Object.keys(value)) {
        if ((CHANGEABLE as readonly string[]).includes(key)) continue;
        const fixed = Object.hasOwn(FIXED, key) ? FIXED[key] : undefined;
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: fixed ?? `is not a setting a change can name; allowed: ${CHANGEABLE.join(', ')}`,
        });
      }
    },
    // Also when a field is refused, so one answer names every problem.
    { when: (payload) => isObject(payload.value) },
  ),
  'field',
).describe('A change to a database, version 1: the settings to change (a JSON merge patch).');

export type ChangeV1 = Pick<z.infer<typeof changeV1Schema>, (typeof CHANGEABLE)[number]>;

/** The database a change starts from: its settings as a request, and its resolved spec. */
export interface CurrentDatabase {
  request: RequestV1;
  spec: DatabaseSpec;
}

export interface ChangeOutcome {
  change: ChangeV1;
  /** The database's settings after the change, as a request. */
  request: RequestV1;
  /** The new spec: the current one with only the changed settings moved. */
  spec: DatabaseSpec;
}

/**
 * Checks a change against the database and its environment's policy (every problem in one answer) and
 * gives the database as it will be. Settings the change does not name keep exactly what the file has,
 * even where the policy has moved on since, so the pull request's diff touches only what was asked.
 */
export function applyChange(
  current: CurrentDatabase,
  input: unknown,
  policy: Policy,
  requestId: string,
): Result<ChangeOutcome> {
  if (!isObject(input)) return fail([{ path: '(body)', message: 'the change must be a JSON object' }]);
  const parsed = changeV1Schema.safeParse(input);
  // A refused field is left out and the rest judged still: one answer names every problem.
  const issues: FieldIssue[] = parsed.success ? [] : toFieldIssues(parsed.error);
  const change = fieldsThatPass(input);
  const named = Object.keys(change).filter((k) => k !== 'allow_major_version_upgrade');
  if (named.length === 0)
    return fail(
      issues.length > 0
        ? issues
        : [
            {
              path: '(body)',
              message: `names nothing to change; give one or more of: ${CHANGEABLE.join(', ')}`,
            },
          ],
    );

  const { spec } = current;
  const env = ownValue(policy.environments, spec.environment);
  if (!env)
    return fail([
      ...issues,
      {
        path: 'environment',
        message: `environment ${spec.environment} is no longer configured in the policy, so no change can be checked against it; change the database by hand`,
      },
    ]);
  const tags = mergeTags(current.request.tags ?? {}, change.tags);
  if (Object.keys(tags).length > TAGS_MAX)
    issues.push({ path: 'tags', message: `at most ${TAGS_MAX} tags are allowed` });
  const request: RequestV1 = {
    ...current.request,
    ...(change.size !== undefined && { size: change.size }),
    ...(change.instances !== undefined && { instances: change.instances }),
    ...(change.engine_version !== undefined && { engine_version: change.engine_version }),
    ...(change.owner !== undefined && { owner: change.owner }),
    ...(change.deployment !== undefined && { deployment: change.deployment }),
    tags,
  };
  if (Object.keys(tags).length === 0) delete request.tags;

  if (
    change.deployment !== undefined &&
    (change.deployment === 'instance') !== (spec.deployment === 'instance')
  )
    issues.push({
      path: 'deployment',
      message: `moving between an RDS instance and Aurora (${spec.deployment} to ${change.deployment}) is a migration, not a change: ask for a new database and move the data`,
    });
  else if (
    change.deployment !== undefined &&
    change.deployment !== spec.deployment &&
    spec.awsEngine === 'aurora-mysql'
  )
    // The module gives Aurora MySQL provisioned clusters Backtrack, which AWS sets only when a cluster is
    // created: to Serverless v2 it would be switched off for good, and back it could not be switched on.
    issues.push({
      path: 'deployment',
      message: `an Aurora MySQL cluster cannot move between ${spec.deployment} and ${change.deployment}: Backtrack (on for aurora) can only be set when a cluster is created; ask for a new database and move the data`,
    });

  let majorUpgrade = false;
  if (change.engine_version !== undefined) {
    const move = versionMove(spec.awsEngine, spec.engineVersion, change.engine_version);
    if (move === 'downgrade')
      issues.push({
        path: 'engine_version',
        message: `${change.engine_version} is older than the running ${spec.engineVersion}; RDS cannot downgrade an engine (restore a snapshot into a new database instead)`,
      });
    if (move === 'major-upgrade') {
      majorUpgrade = true;
      if (change.allow_major_version_upgrade !== true)
        issues.push({
          path: 'engine_version',
          message: `${spec.engineVersion} to ${change.engine_version} is a major version upgrade; say so with "allow_major_version_upgrade": true (test the application against it first)`,
        });
    }
  }

  // The environment's rules, judged only on what the change names.
  const judged = new Set<string>(named);
  if (change.deployment !== undefined) judged.add('engine_version');
  const policyIssues = applyPolicy(request, policy).issues.filter((i) => judged.has(i.path));
  issues.push(...policyIssues);
  if (issues.length > 0) return fail(issues);

  const next = nextSpec(spec, request, change, policy, env, requestId, majorUpgrade);
  if (sameSettings(spec, next))
    return fail([{ path: '(body)', message: 'changes nothing: the database already has these settings' }]);
  return { ok: true, value: { change, request, spec: next } };
}

function nextSpec(
  spec: DatabaseSpec,
  request: RequestV1,
  change: ChangeV1,
  policy: Policy,
  env: EnvironmentPolicy,
  requestId: string,
  majorUpgrade: boolean,
): DatabaseSpec {
  const size = request.size ?? spec.size;
  const sizing = policy.sizes[size];
  const deployment = request.deployment ?? spec.deployment;
  const resized = change.size !== undefined || change.deployment !== undefined;
  const owner = request.owner ?? spec.owner;
  const next: DatabaseSpec = {
    ...spec,
    requestId,
    size,
    deployment,
    instances: request.instances ?? spec.instances,
    engineVersion: request.engine_version ?? spec.engineVersion,
    owner,
    // The environment's rule for how a change reaches AWS, as it is now.
    applyImmediately: env.apply_immediately,
    allowMajorVersionUpgrade: spec.allowMajorVersionUpgrade || majorUpgrade,
    tags: serviceTags(spec.tags, request.tags ?? {}, owner),
  };
  if (resized) {
    next.instanceClass = deployment === 'aurora-serverless' ? null : sizing.instance_class;
    next.serverless =
      deployment === 'aurora-serverless'
        ? { minCapacity: sizing.serverless.min_capacity, maxCapacity: sizing.serverless.max_capacity }
        : null;
    // RDS cannot shrink storage: a smaller size keeps what is allocated.
    if (spec.storage)
      next.storage = {
        ...spec.storage,
        allocatedGb: Math.max(spec.storage.allocatedGb, sizing.storage.allocated_gb),
        maxAllocatedGb: Math.max(spec.storage.maxAllocatedGb, sizing.storage.max_allocated_gb),
      };
  }
  return next;
}

/** The changeable fields of the input that pass their own schema; a refused one is left out. */
function fieldsThatPass(input: object): ChangeV1 {
  const passed: Record<string, unknown> = {};
  for (const field of CHANGEABLE) {
    if (!Object.hasOwn(input, field)) continue;
    const result = changeFields.shape[field].safeParse((input as Record<string, unknown>)[field]);
    if (result.success && result.data !== undefined) passed[field] = result.data;
  }
  return passed as ChangeV1;
}

/** The requester's tags with the service's four kept from the file (owner follows the owner). */
function serviceTags(current: Record<string, string>, requested: Record<string, string>, owner: string) {
  const service = Object.fromEntries(
    Object.entries(current).filter(([k]) => (SERVICE_TAG_KEYS as readonly string[]).includes(k)),
  );
  const all = { ...requested, ...service, owner };
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function mergeTags(current: Record<string, string>, patch: Record<string, string | null> | undefined) {
  const out: Record<string, string> = { ...current };
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}

/** Whether two specs would render the same settings (the request id aside). */
function sameSettings(a: DatabaseSpec, b: DatabaseSpec): boolean {
  return (
    JSON.stringify({ ...a, requestId: '' }) ===
    JSON.stringify({ ...b, requestId: '', applyImmediately: a.applyImmediately })
  );
}

const fail = (issues: FieldIssue[]): Result<never> => ({ ok: false, issues });
