import { parseDocument } from 'yaml';
import * as z from 'zod';
import { PERSON_ROLES, type PersonRole } from './access.js';
import { AWS_REGION } from './aws-region.js';
import { isIamPrincipalArn } from './iam-principal.js';
import { LAYOUT_DEFAULTS, LAYOUT_KINDS, type LayoutSettings, layoutProblems } from './layout.js';
import { DEFAULT_GIT_CONVENTIONS } from './naming.js';
import { isObjectPropertyName, ownKeyRecord, ownValue } from './own-keys.js';
import { plainWords } from './plain-words.js';
import {
  DEPLOYMENTS,
  type Deployment,
  ENGINES,
  ENVIRONMENT_NAME,
  type Engine,
  type FieldIssue,
  type Result,
  SIZES,
  type Size,
  TAG_KEY,
  TAG_VALUE,
  toFieldIssues,
} from './request.js';
import { runsOn } from './spec.js';

/**
 * The platform team's policy: which engines, deployments, sizes, versions and instance counts each
 * environment allows, and the settings it enforces. Parsed from YAML or JSON text; pure.
 */

/** Aurora provisioned and Serverless v2 share engine versions; a single instance has its own. */
export type VersionFamily = 'aurora' | 'instance';
export const versionFamily = (deployment: Deployment): VersionFamily =>
  deployment === 'instance' ? 'instance' : 'aurora';

const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60] as const;
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const AWS_ID = (prefix: string) => new RegExp(`^${prefix}-[0-9a-f]{8,17}$`);

const versions = z.strictObject({
  default: z.string().min(1),
  allowed: z.array(z.string().min(1)).min(1),
});

const acu = z.number().min(0).max(256).multipleOf(0.5);

const size = z.strictObject({
  instance_class: z
    .string()
    .regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, { message: 'must be an RDS instance class such as db.r7g.large' }),
  serverless: z.strictObject({ min_capacity: acu, max_capacity: acu.min(1) }),
  storage: z.strictObject({
    allocated_gb: z.number().int().min(20).max(65536),
    max_allocated_gb: z.number().int().min(20).max(65536),
  }),
});

const network = z.strictObject({
  vpc_id: z.string().regex(AWS_ID('vpc'), { message: 'must be a VPC id such as vpc-0123456789abcdef0' }),
  subnet_ids: z
    .array(
      z.string().regex(AWS_ID('subnet'), { message: 'must be a subnet id such as subnet-0123456789abcdef0' }),
    )
    .min(2, { message: 'an RDS subnet group needs at least two subnets in different availability zones' }),
  allowed_security_group_ids: z
    .array(
      z.string().regex(AWS_ID('sg'), { message: 'must be a security group id such as sg-0123456789abcdef0' }),
    )
    .default([]),
  allowed_cidr_blocks: z
    .array(z.cidrv4({ message: 'must be an IPv4 CIDR block such as 10.0.0.0/16' }))
    .default([]),
});

/** The AWS account and region an environment's databases live in (per-database layout). */
const aws = z.strictObject({
  region: z.string().regex(AWS_REGION, {
    message: 'must be an AWS Region name such as eu-west-1',
  }),
  /** Assumed by each root's provider, e.g. a role in the prod account; absent: the pipeline's own credentials. */
  role_arn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/, {
      message: 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/rds-provisioner-terraform',
    })
    .optional(),
});

/** A role the policy hands out: a person's. `pipeline` is CI's, given by the stack, never by the policy. */
const personRole = z.enum(PERSON_ROLES, {
  error: (issue) =>
    issue.input === 'pipeline'
      ? `pipeline is CI's role (it reports and nothing else), given by the stack, not the policy; roles: ${PERSON_ROLES.join(', ')}`
      : `must be a role: one of ${PERSON_ROLES.join(', ')}, got ${JSON.stringify(issue.input)}`,
});

/** Who may act on databases in an environment, by role (src/domain/access.ts applies it). */
export const DEFAULT_ENVIRONMENT_ACCESS = {
  request: ['requester', 'approver', 'admin'],
  change: ['requester', 'approver', 'admin'],
  retire: ['requester', 'approver', 'admin'],
  merge: ['approver', 'admin'],
  separate_duties: false,
} as const satisfies Record<string, readonly PersonRole[] | boolean>;

const roleList = (defaults: readonly PersonRole[]) =>
  z
    .array(personRole)
    .max(PERSON_ROLES.length * 2)
    .default(() => [...defaults]);

const environmentAccess = z.strictObject({
  request: roleList(DEFAULT_ENVIRONMENT_ACCESS.request),
  change: roleList(DEFAULT_ENVIRONMENT_ACCESS.change),
  retire: roleList(DEFAULT_ENVIRONMENT_ACCESS.retire),
  /** Closing a pull request unmerged: these roles too, and whoever asked for the request. */
  merge: roleList(DEFAULT_ENVIRONMENT_ACCESS.merge),
  /** Whoever asked for a database never merges its pull request (prod: a second person approves). */
  separate_duties: z.boolean().default(DEFAULT_ENVIRONMENT_ACCESS.separate_duties),
});

const environment = z.strictObject({
  engines: z.array(z.enum(ENGINES)).min(1),
  deployments: z.strictObject({ default: z.enum(DEPLOYMENTS), allowed: z.array(z.enum(DEPLOYMENTS)).min(1) }),
  sizes: z.strictObject({ default: z.enum(SIZES), allowed: z.array(z.enum(SIZES)).min(1) }),
  instances: z.strictObject({
    default: z.number().int().min(1).max(15),
    min: z.number().int().min(1).max(15),
    max: z.number().int().min(1).max(15),
  }),
  /** Per-environment narrowing of the engine catalogue's versions. */
  engine_versions: z
    .partialRecord(
      z.enum(ENGINES),
      z.strictObject({ aurora: versions.optional(), instance: versions.optional() }),
    )
    .optional(),
  owner_required: z.boolean(),
  deletion_protection: z.boolean(),
  backup_retention_days: z.number().int().min(1).max(35),
  skip_final_snapshot: z.boolean(),
  monitoring_interval: z.number().refine((n) => (MONITORING_INTERVALS as readonly number[]).includes(n), {
    message: `must be one of ${MONITORING_INTERVALS.join(', ')}`,
  }),
  performance_insights: z.boolean(),
  performance_insights_retention_days: z
    .number()
    .int()
    .refine((n) => n === 7 || (n % 31 === 0 && n >= 31 && n <= 731), {
      message: 'must be 7 or a multiple of 31 up to 731',
    })
    .default(7),
  multi_az: z.boolean(),
  log_retention_days: z.number().refine((n) => LOG_RETENTION_DAYS.includes(n), {
    message: `must be a CloudWatch Logs retention: ${LOG_RETENTION_DAYS.join(', ')}`,
  }),
  backup_window: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be hh24:mi-hh24:mi in UTC' })
    .default('02:00-03:00'),
  maintenance_window: z
    .string()
    .regex(
      /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/,
      {
        message: 'must be ddd:hh24:mi-ddd:hh24:mi in UTC',
      },
    )
    .default('sun:04:00-sun:05:00'),
  network: network.optional(),
  aws: aws.optional(),
  /**
   * Whether a change is applied by AWS as soon as it is merged and applied (true), or waits for the
   * maintenance window (false, RDS's default): an instance class change restarts the instance.
   */
  apply_immediately: z.boolean().default(false),
  /** Retiring a database: whether it is allowed, only by whoever asked for it, and whether a final snapshot is kept. */
  retire: z
    .strictObject({
      allowed: z.boolean().default(true),
      owner_only: z.boolean().default(false),
      /** Absent: as the environment's skip_final_snapshot says. */
      final_snapshot: z.boolean().optional(),
    })
    .default({ allowed: true, owner_only: false }),
  access: environmentAccess.default(() => environmentAccess.parse({})),
});

const engineCatalogue = z.strictObject({ aurora: versions.optional(), instance: versions.optional() });

const requestBranchTemplate = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/{}-]{0,99}$/, { message: 'must be a branch name template' })
  .refine((t) => t.includes('{db_name}') && t.includes('{short_id}'), {
    message: 'must contain {db_name} and {short_id}',
  })
  .refine((t) => !t.includes('..') && !t.endsWith('/') && !t.endsWith('.lock'), {
    message: 'must give a valid git branch name',
  });

/** Where generated work lands; defaults are the original system's. */
const git = z
  .strictObject({
    base: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/, { message: 'must be a branch name such as main' })
      .default(DEFAULT_GIT_CONVENTIONS.base),
    branch: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/{}-]{0,99}$/, { message: 'must be a branch name template' })
      .refine((t) => t.includes('{db_name}'), { message: 'must contain {db_name}' })
      .refine((t) => !t.includes('..') && !t.endsWith('/') && !t.endsWith('.lock'), {
        message: 'must give a valid git branch name',
      })
      .default(DEFAULT_GIT_CONVENTIONS.branch),
    /** A change's branch; `{db_name}` and `{short_id}` (the request id's first 8 characters) are replaced. */
    change_branch: requestBranchTemplate.default(DEFAULT_GIT_CONVENTIONS.change_branch),
    /** A retirement's branch, the same way; its first step, when it needs one, adds `-unprotect`. */
    retire_branch: requestBranchTemplate.default(DEFAULT_GIT_CONVENTIONS.retire_branch),
    /** single-root (the original system's, the default for existing policies) or per-database. */
    layout: z.enum(LAYOUT_KINDS).default('single-root'),
    /** Where a database's file lives; the default follows the layout. */
    file: z
      .string()
      .regex(/^(?:[A-Za-z0-9_{}-][A-Za-z0-9._{}-]*\/)*[A-Za-z0-9_{}-][A-Za-z0-9._{}-]*\.tf$/, {
        message: 'must be a relative path ending in .tf, e.g. terraform/live/{db_name}.tf',
      })
      .refine((t) => t.includes('{db_name}'), { message: 'must contain {db_name}' })
      .refine((t) => !t.split('/').includes('..'), { message: 'must stay inside the repository' })
      .optional(),
    /** S3 key of each database's state (per-database layout). */
    state_key: z
      .string()
      .regex(/^[A-Za-z0-9!_.*'()/{}-]{1,512}$/, { message: 'must be an S3 object key template' })
      .refine((t) => !t.startsWith('/') && !t.split('/').includes('..'), {
        message: 'must be a relative key',
      })
      .optional(),
    /** The shared backend settings (bucket, region, locking) every root initialises with (per-database layout). */
    backend_config: z
      .string()
      .regex(/^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*\.hcl$/, {
        message: 'must be a relative path ending in .hcl, e.g. terraform/live/backend.hcl',
      })
      .refine((t) => !t.split('/').includes('..'), { message: 'must stay inside the repository' })
      .optional(),
    author: z
      .strictObject({
        name: z.string().min(1).max(100).default('rds-provisioner'),
        email: z
          .email({ message: 'must be an email address' })
          .default('rds-provisioner@users.noreply.localhost'),
      })
      .default({ name: 'rds-provisioner', email: 'rds-provisioner@users.noreply.localhost' }),
  })
  .transform((g) => {
    const defaults = LAYOUT_DEFAULTS[g.layout];
    return {
      ...g,
      file: g.file ?? defaults.file,
      state_key: g.state_key ?? defaults.state_key,
      backend_config: g.backend_config ?? defaults.backend_config,
    };
  });

/** How pull requests are dressed on hosts that support it (GitHub): labels, reviewers, draft. */
const pullRequests = z.strictObject({
  /** `{environment}` is replaced, e.g. `env:{environment}` → `env:prod`. */
  labels: z
    .array(
      z
        .string()
        .min(1)
        .max(50)
        .regex(/^[^,]+$/, { message: 'a label cannot contain a comma' }),
    )
    .max(20)
    // None by default: each label call is a fourth mutation on GitHub, past the per-request budget.
    .default([]),
  draft: z.boolean().default(false),
  /** Per environment: GitHub logins and team slugs asked to review, e.g. DBAs on prod. */
  reviewers: ownKeyRecord(
    z.record(
      z.string(),
      z.strictObject({
        users: z
          .array(
            z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, { message: 'must be a GitHub login' }),
          )
          .default([]),
        teams: z
          .array(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, { message: 'must be a team slug' }))
          .default([]),
      }),
    ),
    'environment name',
  ).default({}),
});

/** Environment names: lowercase, and none that every object already answers to (`constructor`). */
const environmentName = z
  .string()
  .regex(ENVIRONMENT_NAME, { message: 'environment names are lowercase, e.g. dev' })
  .refine((name) => !isObjectPropertyName(name), {
    error: (issue) =>
      `${String(issue.input)} is a property every JavaScript object has; choose another environment name`,
  });

/**
 * Tags every resource of a per-database root carries besides managed-by: the provider's default_tags
 * (the single root keeps its own in providers.tf). E.g. { repository: github.com/acme/infra }.
 */
const defaultTags = ownKeyRecord(
  z.record(
    z
      .string()
      .regex(TAG_KEY, { message: 'must be an AWS tag key' })
      .refine((key) => !key.toLowerCase().startsWith('aws:'), {
        message: 'aws: tag keys are reserved by AWS',
      })
      .refine((key) => key !== 'managed-by', { message: 'managed-by is set by the service' }),
    z.string().regex(TAG_VALUE, { message: 'must be an AWS tag value' }),
  ),
  'tag key',
)
  .refine((tags) => Object.keys(tags).length <= 20, { message: 'at most 20 default tags' })
  .default({});

/** The most `access.principals` entries a policy lists: each caller's role is the first that matches. */
export const MAX_PRINCIPALS = 200;

/**
 * Roles for callers a runtime proves but does not give a role itself (an IAM principal or API key on
 * AWS, an OIDC subject): the first matching `principals` entry, else the role the credential claims,
 * else `default_role`.
 */
const access = z.strictObject({
  /** null: a caller the policy does not map has no role (403 on every route). */
  default_role: personRole.nullable().default('requester'),
  principals: z
    .array(
      z.strictObject({
        /** An IAM user's or role's ARN (a role's entry matches its sessions), `api-key:ID`, an OIDC subject. */
        id: z
          .string()
          .min(1)
          .max(2048)
          // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
          .regex(/^[^\u0000-\u001f\u007f]*$/, { message: 'must not contain control characters' })
          // An ARN that names no IAM user, role or session would never match a caller: a typo, said at start-up.
          .refine((id) => !id.startsWith('arn:') || isIamPrincipalArn(id), {
            message:
              "must be an IAM role or user ARN (arn:aws:iam::123456789012:role/dba) or a role session's (arn:aws:sts::123456789012:assumed-role/dba/jane)",
          }),
        role: personRole,
        /** Absent: the role holds in every environment; elsewhere the caller may only read. */
        environments: z.array(z.string()).min(1).max(50).optional(),
      }),
    )
    .max(MAX_PRINCIPALS)
    .default([]),
});

const policyShape = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }),
  git: git.default(() => git.parse({})),
  default_tags: defaultTags,
  pull_requests: pullRequests.default(() => pullRequests.parse({})),
  engines: z.strictObject({ mysql: engineCatalogue, postgres: engineCatalogue, mariadb: engineCatalogue }),
  sizes: z.strictObject({ small: size, medium: size, large: size, xlarge: size }),
  environments: ownKeyRecord(z.record(environmentName, environment), 'environment name').refine(
    (envs) => Object.keys(envs).length > 0,
    { message: 'at least one environment is required' },
  ),
  access: access.default(() => access.parse({})),
});

export const policySchema = policyShape
  .superRefine(checkConsistency)
  // Named beside the other problems too: it reads only the principals and the environments' names.
  .superRefine(checkPrincipals, { when: (payload) => principalsReadable(payload.value) });

export type Policy = z.infer<typeof policyShape>;
export type EnvironmentPolicy = Policy['environments'][string];
export type NetworkPolicy = z.infer<typeof network>;
export type VersionPolicy = z.infer<typeof versions>;
export type AccessPolicy = z.infer<typeof access>;
export type EnvironmentAccess = z.infer<typeof environmentAccess>;

/** Cross-field rules zod cannot express field by field: defaults inside their allowed sets, bounds ordered. */
function checkConsistency(
  policy: {
    git: LayoutSettings;
    default_tags: Record<string, string>;
    pull_requests: { reviewers: Record<string, unknown> };
    engines: Policy['engines'];
    sizes: Policy['sizes'];
    environments: Record<string, EnvironmentPolicy>;
  },
  ctx: z.RefinementCtx,
) {
  const problem = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  const checkVersions = (v: VersionPolicy | undefined, path: (string | number)[]) => {
    if (v && !v.allowed.includes(v.default)) problem([...path, 'default'], `${v.default} is not in allowed`);
  };
  for (const engine of ENGINES) {
    for (const family of ['aurora', 'instance'] as const)
      checkVersions(policy.engines[engine][family], ['engines', engine, family]);
  }
  for (const engine of ENGINES) {
    if (policy.engines[engine].aurora && !runsOn(engine, 'aurora'))
      problem(['engines', engine, 'aurora'], `${engine} has no Aurora flavour; remove this key`);
  }
  for (const s of SIZES) {
    const { serverless, storage } = policy.sizes[s];
    if (serverless.min_capacity > serverless.max_capacity)
      problem(['sizes', s, 'serverless', 'min_capacity'], 'must not exceed max_capacity');
    if (storage.allocated_gb > storage.max_allocated_gb)
      problem(['sizes', s, 'storage', 'allocated_gb'], 'must not exceed max_allocated_gb');
  }
  // The git section's defaults are filled in only once every key of it parses; until then its own
  // problems are the answer (a layout half read is no layout to judge).
  const gitParsed = [policy.git.file, policy.git.state_key, policy.git.backend_config].every(
    (value) => value !== undefined,
  );
  if (gitParsed) for (const { path, message } of layoutProblems(policy.git)) problem(path, message);
  const perDatabase = policy.git.layout === 'per-database';
  if (!perDatabase && Object.keys(policy.default_tags).length > 0)
    problem(
      ['default_tags'],
      "applies only to git.layout per-database: the single root's default_tags are in its providers.tf",
    );
  for (const [name, env] of Object.entries(policy.environments)) {
    if (perDatabase && !env.aws)
      problem(
        ['environments', name, 'aws'],
        'is required with git.layout per-database: each root names its region (and the role to assume, if any)',
      );
    if (perDatabase && !env.network)
      problem(
        ['environments', name, 'network'],
        "is required with git.layout per-database: each root spells out its environment's network",
      );
    if (!perDatabase && env.aws)
      problem(
        ['environments', name, 'aws'],
        'applies only to git.layout per-database: the single root has one provider, so one account and region',
      );
  }
  for (const env of Object.keys(policy.pull_requests.reviewers)) {
    if (!Object.hasOwn(policy.environments, env))
      problem(['pull_requests', 'reviewers', env], `${env} is not a configured environment`);
  }
  for (const [name, env] of Object.entries(policy.environments)) {
    const at = (...rest: (string | number)[]) => ['environments', name, ...rest];
    if (!env.deployments.allowed.includes(env.deployments.default))
      problem(at('deployments', 'default'), `${env.deployments.default} is not in allowed`);
    if (!env.sizes.allowed.includes(env.sizes.default))
      problem(at('sizes', 'default'), `${env.sizes.default} is not in allowed`);
    if (env.deletion_protection && env.retire.final_snapshot === false)
      problem(
        at('retire', 'final_snapshot'),
        'must be true where deletion_protection is on: a protected database keeps a final snapshot when retired',
      );
    const { min, max, default: def } = env.instances;
    if (min > max) problem(at('instances', 'min'), `must not exceed max (${max})`);
    if (def < min || def > max)
      problem(at('instances', 'default'), `must be between min (${min}) and max (${max})`);
    for (const [engine, families] of Object.entries(env.engine_versions ?? {})) {
      for (const family of ['aurora', 'instance'] as const) {
        const v = families?.[family];
        checkVersions(v, at('engine_versions', engine, family));
        const catalogue = policy.engines[engine as Engine][family];
        for (const version of v?.allowed ?? []) {
          if (!catalogue?.allowed.includes(version))
            problem(
              at('engine_versions', engine, family, 'allowed'),
              `${version} is not in engines.${engine}.${family}.allowed`,
            );
        }
      }
    }
    for (const engine of env.engines) {
      const usable = env.deployments.allowed.some(
        (d) => policy.engines[engine][versionFamily(d)] !== undefined,
      );
      if (!usable)
        problem(at('engines'), `${engine} has no engine versions for any deployment this environment allows`);
    }
  }
}

/**
 * `access.principals` checked against the rest of the policy: each entry's environments exist, and no
 * entry repeats an earlier one's id (the first match wins, so a repeat would never apply).
 */
function checkPrincipals(
  policy: { access: Pick<AccessPolicy, 'principals'>; environments: Record<string, unknown> },
  ctx: z.RefinementCtx,
) {
  const problem = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  const names = Object.keys(policy.environments).join(', ');
  const firstAt = new Map<string, number>();
  policy.access.principals.forEach(({ id, environments }, i) => {
    const earlier = firstAt.get(id);
    if (earlier === undefined) firstAt.set(id, i);
    else
      problem(
        ['access', 'principals', i, 'id'],
        `${id} is listed already at access.principals[${earlier}]; the first match wins, so this entry would never apply`,
      );
    environments?.forEach((env, j) => {
      if (!Object.hasOwn(policy.environments, env))
        problem(
          ['access', 'principals', i, 'environments', j],
          `${env} is not a configured environment; environments: ${names}`,
        );
    });
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether what parsed so far holds the principals' ids and scopes and the environments, whatever else is wrong. */
function principalsReadable(value: unknown): boolean {
  if (!isRecord(value) || !isRecord(value.environments) || !isRecord(value.access)) return false;
  const { principals } = value.access;
  return (
    Array.isArray(principals) &&
    principals.every(
      (p) =>
        isRecord(p) &&
        typeof p.id === 'string' &&
        (p.environments === undefined ||
          (Array.isArray(p.environments) && p.environments.every((env) => typeof env === 'string'))),
    )
  );
}

/** A loaded policy and where it came from, so a pull request can say which policy applied. */
export interface LoadedPolicy {
  policy: Policy;
  source: string;
}

/** Parses YAML (or JSON, a subset of YAML) policy text. Issues name the bad key, e.g. `environments.prod.instances.min`. */
export function parsePolicy(text: string, source: string): Result<LoadedPolicy> {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({ path: '(file)', message: `${source}: ${e.message.split('\n')[0]}` })),
    };
  }
  const parsed = policySchema.safeParse(doc.toJS(), { error: plainWords });
  if (!parsed.success) return { ok: false, issues: toFieldIssues(parsed.error, '(file)') };
  return { ok: true, value: { policy: parsed.data, source } };
}

/** The versions an engine may use on a deployment: the environment's own narrowing, else the catalogue's. */
export function versionsFor(
  policy: Policy,
  env: EnvironmentPolicy,
  engine: Engine,
  deployment: Deployment,
): VersionPolicy | undefined {
  const family = versionFamily(deployment);
  const narrowed = env.engine_versions ? ownValue(env.engine_versions, engine) : undefined;
  return narrowed?.[family] ?? ownValue(policy.engines, engine)?.[family];
}

export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}

export type { Deployment, Engine, Size };
