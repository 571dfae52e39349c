import * as z from 'zod';
import { ownKeyRecord } from './own-keys.js';
import { didYouMean } from './suggest.js';

/** The request a team sends, version 1. Pure schema: no I/O, no policy. */

export const ENGINES = ['mysql', 'postgres', 'mariadb'] as const;
export const DEPLOYMENTS = ['aurora-serverless', 'aurora', 'instance'] as const;
export const SIZES = ['small', 'medium', 'large', 'xlarge'] as const;

export type Engine = (typeof ENGINES)[number];
export type Deployment = (typeof DEPLOYMENTS)[number];
export type Size = (typeof SIZES)[number];

export const DB_NAME_MAX = 40;
export const INSTANCES_MAX = 5;
export const TAGS_MAX = 20;

/** Tags the service always sets itself; a request may not set them. */
export const SERVICE_TAG_KEYS = ['environment', 'owner', 'managed-by', 'request-id'] as const;

/**
 * AWS tag character set, without `aws:` prefixes (reserved by AWS) and without `__proto__`, which no
 * plain object can hold as a key (see ownKeyRecord).
 */
export const TAG_KEY = /^(?!__proto__$)[A-Za-z0-9_.:/=+@-][A-Za-z0-9 _.:/=+@-]{0,127}$/;
export const TAG_VALUE = /^[A-Za-z0-9 _.:/=+@-]{0,256}$/;
/** Why a requester may not set a tag key (AWS's prefix, or one the service sets), or null when they may. */
export function reservedTagKey(key: string): string | null {
  const lower = key.toLowerCase();
  if (lower.startsWith('aws:')) return 'tag keys starting with aws: are reserved by AWS';
  if ((SERVICE_TAG_KEYS as readonly string[]).includes(lower))
    return `tag ${key} is set by the service and cannot be requested`;
  return null;
}
const OWNER = /^[A-Za-z0-9][A-Za-z0-9 _.:/=+@-]{0,127}$/;
/** Environment names, in a request and in the policy file. */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Names whose file would be one of terraform/live's own (`providers.tf`, `backend.tf`, `networks.tf`) or
 * the conventional root files a platform team may add there.
 */
export const RESERVED_DB_NAMES = [
  'backend',
  'locals',
  'main',
  'networks',
  'outputs',
  'providers',
  'terraform',
  'variables',
  'versions',
];

/** Every reason a db_name can be refused, in the order a requester would fix them. */
export function dbNameProblems(value: string): string[] {
  if (value.length === 0) return ['must not be empty'];
  if (RESERVED_DB_NAMES.includes(value))
    return [`${value} is reserved for the Terraform root's own files; choose another name`];
  const problems: string[] = [];
  if (value.length > DB_NAME_MAX) problems.push(`must be at most ${DB_NAME_MAX} characters`);
  if (!/^[a-z0-9-]*$/.test(value)) problems.push('may contain only lowercase letters, digits and hyphens');
  if (!/^[a-z]/.test(value)) problems.push('must start with a lowercase letter');
  if (value.includes('--')) problems.push('must not contain two hyphens in a row');
  if (value.endsWith('-')) problems.push('must not end with a hyphen');
  return problems;
}

export function isValidDbName(value: string): boolean {
  return dbNameProblems(value).length === 0;
}

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (i) =>
      i.input === undefined
        ? 'is required'
        : `must be one of: ${values.join(', ')}${didYouMean(i.input, values)}`,
  });

const dbName = z
  .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
  .superRefine((value, ctx) => {
    for (const problem of dbNameProblems(value)) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe(
    '1-40 of a-z, 0-9 and -; starts with a letter; no -- and no trailing -; not a name the Terraform root uses',
  );

const tags = ownKeyRecord(
  z
    .record(
      z.string().regex(TAG_KEY, {
        message: 'tag keys are 1-128 characters of letters, digits, spaces and _ . : / = + @ -',
      }),
      z.string({ error: 'tag values must be strings' }).regex(TAG_VALUE, {
        message: 'tag values are at most 256 characters of letters, digits, spaces and _ . : / = + @ -',
      }),
      { error: 'tags must be an object of string keys and string values' },
    )
    .superRefine((value, ctx) => {
      const keys = Object.keys(value);
      if (keys.length > TAGS_MAX)
        ctx.addIssue({ code: 'custom', message: `at most ${TAGS_MAX} tags are allowed` });
      for (const key of keys) {
        const reserved = reservedTagKey(key);
        if (reserved) ctx.addIssue({ code: 'custom', path: [key], message: reserved });
      }
    })
    // The OpenAPI generator leaves a record's key rule out; stated here, /openapi.json carries it too.
    .meta({ propertyNames: { type: 'string', pattern: TAG_KEY.source } }),
  'tag key',
);

export const requestV1Schema = z
  .strictObject(
    {
      db_name: dbName,
      engine: oneOf(ENGINES),
      environment: z
        .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
        .regex(ENVIRONMENT_NAME, { message: 'must be a lowercase name such as dev, staging or prod' }),
      deployment: oneOf(DEPLOYMENTS).optional(),
      size: oneOf(SIZES).optional(),
      engine_version: z
        .string({ error: 'must be a string' })
        .regex(/^[0-9][A-Za-z0-9._-]{0,63}$/, { message: 'must look like a version, e.g. 17.5' })
        .optional(),
      instances: z
        .number({ error: 'must be a whole number' })
        .int({ message: 'must be a whole number' })
        .min(1, { message: 'must be at least 1' })
        .max(INSTANCES_MAX, { message: `must be at most ${INSTANCES_MAX} (a writer plus readers)` })
        .optional(),
      owner: z
        .string({ error: 'must be a string' })
        .regex(OWNER, {
          message:
            'must be a team or person: 1-128 characters of letters, digits, spaces and _ . : / = + @ -',
        })
        .optional(),
      tags: tags.optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `is not a known field; allowed fields are db_name, engine, environment, deployment, size, engine_version, instances, owner, tags`
          : 'the request must be a JSON object',
    },
  )
  .describe('A request for one database, version 1.');

export type RequestV1 = z.infer<typeof requestV1Schema>;

/** One problem with a request or policy: which field, and why, in a requester's words. */
export interface FieldIssue {
  path: string;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

export function parseRequest(input: unknown): Result<RequestV1> {
  const parsed = requestV1Schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, issues: toFieldIssues(parsed.error) };
}

/**
 * Flattens zod issues to one entry per field; unknown keys are reported under their own names. `root`
 * names the whole input: the request body, or a policy file.
 */
export function toFieldIssues(error: z.ZodError, root = '(body)'): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ path: joinPath([...issue.path, key], root), message: issue.message });
      continue;
    }
    out.push({ path: joinPath(issue.path, root), message: issue.message });
  }
  return dedupeIssues(out);
}

export function joinPath(path: readonly PropertyKey[], root = '(body)'): string {
  if (path.length === 0) return root;
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** The issues without repeats (the same path and message twice). */
export function dedupeIssues(issues: FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
