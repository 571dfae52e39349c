import { z } from '@hono/zod-openapi';
import { LAYOUT_DEFAULTS, locate } from '../../domain/layout.js';
import { requestV1Schema } from '../../domain/request.js';
import { REQUEST_KINDS, STATUSES } from '../../domain/status.js';

/** Response and parameter schemas of the HTTP API; the OpenAPI document is generated from these. */

// The domain schema was built before @hono/zod-openapi extended zod, so it has no `.openapi()`; the
// generator documents it inline from the schema itself.
export const RequestV1 = requestV1Schema;

export const Status = z.enum(STATUSES).openapi('Status');

export const FieldIssue = z.object({
  path: z
    .string()
    .openapi({ description: 'The field, e.g. `db_name` or `tags.owner`; `(body)` for the body as a whole.' }),
  message: z.string(),
});

export const InvalidRequestError = z
  .object({ error: z.literal('invalid_request'), issues: z.array(FieldIssue).min(1) })
  .openapi('InvalidRequestError');

export const ConflictError = z
  .object({
    error: z.literal('conflict'),
    request_id: z
      .string()
      .nullable()
      .openapi({ description: 'The request in flight, or the one that wrote the existing file.' }),
    message: z.string(),
  })
  .openapi('ConflictError');

const simpleError = <T extends string>(code: T, name: string) =>
  z.object({ error: z.literal(code), message: z.string() }).openapi(name);

export const UnauthorizedError = simpleError('unauthorized', 'UnauthorizedError');
export const ForbiddenError = simpleError('forbidden', 'ForbiddenError');
export const NotFoundError = simpleError('not_found', 'NotFoundError');
export const PayloadTooLargeError = simpleError('payload_too_large', 'PayloadTooLargeError');
export const UnsupportedMediaTypeError = simpleError('unsupported_media_type', 'UnsupportedMediaTypeError');
export const UnavailableError = simpleError('unavailable', 'UnavailableError');
export const InvalidStateError = simpleError('invalid_state', 'InvalidStateError');
export const MergeConflictError = simpleError('merge_conflict', 'MergeConflictError');

export const Accepted = z
  .object({
    request_id: z.string(),
    status: z.literal('queued'),
    status_url: z
      .string()
      .openapi({ description: 'Where to follow the request: GET it until pr_open, then merged.' }),
  })
  .openapi('Accepted');

export const ProvisionQuery = z.object({
  dry_run: z
    .enum(['true', 'false'])
    .optional()
    .openapi({
      param: { name: 'dry_run', in: 'query' },
      description: 'true: check the request and return the file it would write; nothing is queued or stored.',
    }),
});

// The cost estimate: a creation's, a change's (with before and difference), a retirement's (the saving).
// Inline, not a component: a nullable reference would come out as allOf [$ref, {type: [object, null]}],
// which no null satisfies.
const Monthly = z.object({ low: z.number(), high: z.number() });

export const CostView = z
  .object({
    currency: z.literal('USD'),
    region: z.string(),
    monthly: Monthly.openapi({
      description: 'Estimated USD a month: a range for Aurora Serverless v2 (min to max ACU).',
    }),
    lines: z.array(z.object({ item: z.string(), low: z.number(), high: z.number() })),
    before: Monthly.nullable().openapi({
      description:
        "A change: the estimate before it; a retirement: the database's today. Null for a creation.",
    }),
    difference: Monthly.nullable().openapi({
      description:
        'after − before, at each end of a Serverless v2 range: a retirement saves its estimate (negative).',
    }),
    not_counted: z.array(z.string()).openapi({
      description:
        'What the estimate leaves out, in plain words; a price the table lacks is named here ("No price in the table for …") and left out of the total.',
    }),
    prices: z.object({ source: z.string(), date: z.string() }),
  })
  .openapi('CostEstimate');

export const Preview = z
  .object({
    dry_run: z.literal(true),
    file_path: z.string().openapi({
      description: `Where the file goes in the repository, as the policy's git.layout puts it: by default ${LAYOUT_DEFAULTS['per-database'].file} (per-database, a root of its own) or ${LAYOUT_DEFAULTS['single-root'].file} (single-root, the original system's).`,
      example: locate(LAYOUT_DEFAULTS['per-database'], 'my-app-db', 'dev').file,
    }),
    branch: z.string(),
    base: z.string(),
    content: z.string().openapi({ description: 'The Terraform file, as the pull request would add it.' }),
    pull_request: z.object({ title: z.string(), body: z.string() }),
    cost: CostView,
  })
  .openapi('Preview');

const Versions = z.object({ default: z.string(), allowed: z.array(z.string()) });
const EnvironmentOptions = z
  .object({
    engines: z.record(
      z.string(),
      z.object({
        deployments: z.array(z.string()),
        default_deployment: z.string(),
        engine_versions: z.record(z.string(), Versions),
      }),
    ),
    sizes: Versions,
    instances: z.object({ default: z.number().int(), min: z.number().int(), max: z.number().int() }),
    owner_required: z.boolean(),
  })
  .openapi('EnvironmentOptions');

export const RequestForm = z
  .object({
    schema: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'The JSON Schema (2020-12) of request version 1.' }),
    default_environment: z.string(),
    environments: z
      .record(z.string(), EnvironmentOptions)
      .openapi({ description: "Per environment, only what its policy allows, with the policy's defaults." }),
  })
  .openapi('RequestForm');

/** Where a person opens a pull request: a browser address, never the API's JSON. */
const PullRequestUrl = z.string().openapi({
  description:
    "Where a person reviews the pull request in a browser: on GitHub its page; with the local git host the web page's address for it (`{server}/#/pulls/{n}`), which opens its review panel once signed in. The API's `/pulls/{n}` is its JSON.",
});

export const PullRequestRef = z
  .object({ number: z.number().int(), url: PullRequestUrl, branch: z.string() })
  .openapi('PullRequestRef');

export const HistoryEntry = z
  .object({ status: Status, at: z.string(), detail: z.string().optional() })
  .openapi('HistoryEntry');

export const RequestKind = z.enum(REQUEST_KINDS).openapi('RequestKind');

// ---- What the pipeline reports back ----

const Counts = {
  add: z.number().int(),
  change: z.number().int(),
  destroy: z.number().int(),
  replace: z.number().int(),
};

export const PlanDatabaseView = z
  .object({
    db_name: z.string(),
    ...Counts,
    destroyed: z.array(z.string()),
    replaced: z.array(z.string()),
    database_destroyed: z
      .boolean()
      .openapi({ description: 'Its cluster, cluster instance or DB instance is destroyed or replaced.' }),
    unexpected: z.boolean().openapi({
      description: 'The database is destroyed or replaced and the request did not ask to retire it.',
    }),
  })
  .openapi('PlanDatabase');

export const PlanView = z
  .object({
    commit: z.string(),
    pull_request: z.number().int(),
    reported_at: z.string(),
    terraform_version: z.string(),
    databases: z.array(PlanDatabaseView),
    other: z.object(Counts),
    unexpected: z.boolean(),
  })
  .openapi('PlanReport');

export const ConnectionView = z
  .object({
    writer_endpoint: z.string(),
    reader_endpoint: z.string().nullable(),
    port: z.number().int(),
    master_user_secret_arn: z.string().nullable(),
    password_command: z.string().nullable().openapi({
      description: 'The one command that fetches the master password from the secret RDS manages.',
    }),
    resource_arns: z.array(z.string()),
    commit: z.string(),
    request_id: z.string(),
    applied_at: z.string(),
  })
  .openapi('ConnectionDetails');

const AttributeChangesView = z.object({ address: z.string(), attributes: z.array(z.string()) });

export const DriftView = z
  .object({
    status: z.enum(['clean', 'drifted', 'pending']).openapi({
      description:
        'drifted: AWS holds what the files do not say; pending: a merged and applied change waits for the maintenance window.',
    }),
    since: z.string().nullable(),
    drifted: z.array(AttributeChangesView),
    pending: z.array(AttributeChangesView),
    commit: z.string(),
    reported_at: z.string(),
  })
  .openapi('Drift');

export const RequestView = z
  .object({
    request_id: z.string(),
    kind: RequestKind,
    status: Status,
    step: z.number().int().openapi({
      description: "1, or 2 for a retirement's second pull request (after lifting deletion protection)",
    }),
    db_name: z.string(),
    engine: z.string(),
    environment: z.string(),
    requester: z.string(),
    // The database's settings as the request leaves them (a change: with the change applied).
    request: RequestV1,
    change: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: 'What a change asked for, as sent (null for a creation or retirement).' }),
    created_at: z.string(),
    updated_at: z.string(),
    attempts: z.number().int(),
    pull_request: PullRequestRef.nullable(),
    failure_reason: z.string().nullable(),
    merge_commit: z.string().nullable(),
    plan: PlanView.nullable().openapi({ description: 'The latest plan CI reported for its pull request.' }),
    // A union, not .nullable(): the dry runs use CostView as it is, and a nullable reference to it would
    // come out as allOf [$ref, {type: [object, null]}], which no null satisfies.
    cost: z.union([CostView, z.null()]).openapi({
      description: 'The estimated monthly cost of the database as the request leaves it.',
    }),
    connection: ConnectionView.nullable().openapi({
      description: 'Once ready: how to reach the database (never a password).',
    }),
    history: z.array(HistoryEntry),
  })
  .openapi('Request');

export const RequestList = z
  .object({ requests: z.array(RequestView), next_cursor: z.string().nullable() })
  .openapi('RequestList');

/**
 * The credential every route but the public ones takes: a bearer token (the local runtime), or what API
 * Gateway checks (AuthMode): a SigV4 signature with AWS credentials (iam) or an API key (api_key).
 */
export const CREDENTIALS = ['bearer', 'iam', 'api_key'] as const;
export type Credential = (typeof CREDENTIALS)[number];

export const Health = z
  .object({
    status: z.literal('ok'),
    auth: z.enum(CREDENTIALS).openapi({
      description:
        'The credential the other routes take, so a client knows what to ask for before it has one: bearer (Authorization: Bearer TOKEN), iam (requests signed with AWS Signature Version 4 for execute-api) or api_key (an API Gateway API key in x-api-key).',
    }),
  })
  .openapi('Health');

export const RequestIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: '019a6a1e-6f3c-7a4e-9d1b-2c3d4e5f6a7b' }),
});

/** A page of a list: at most 200, 50 by default; the cursor is the previous page's next_cursor. */
export const PageParams = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query' } }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' } }),
};

export const ListQueryParams = z.object({
  status: Status.optional().openapi({ param: { name: 'status', in: 'query' } }),
  kind: RequestKind.optional().openapi({ param: { name: 'kind', in: 'query' } }),
  ...PageParams,
});

export const PullRequestState = z.enum(['open', 'merged', 'closed']);

export const PullRequestView = z
  .object({
    number: z.number().int(),
    title: z.string(),
    branch: z.string(),
    base: z.string(),
    state: PullRequestState,
    request_id: z.string().nullable(),
    url: PullRequestUrl,
    created_at: z.string(),
    updated_at: z.string(),
    merge_commit: z.string().nullable(),
  })
  .openapi('PullRequest');

export const PullRequestCommentView = z
  .object({ marker: z.string(), body: z.string(), updated_at: z.string() })
  .openapi('PullRequestComment');

const ReviewDecision = z.object({
  allowed: z.boolean(),
  reason: z.string().nullable().openapi({ description: 'Why not, naming the rule; null when allowed.' }),
});

export const PullRequestDetail = PullRequestView.extend({
  body: z.string(),
  diff: z.string(),
  comments: z
    .array(PullRequestCommentView)
    .openapi({ description: "The service's comments: the plan CI reported, edited in place." }),
  may: z.object({ merge: ReviewDecision, close: ReviewDecision }).openapi({
    description:
      "Whether the caller may merge or close it, by the policy in its request's environment (separation of duties included), with the reason when not; the merge and close routes decide the same way.",
  }),
}).openapi('PullRequestDetail');

export const PullRequestList = z
  .object({ pull_requests: z.array(PullRequestView) })
  .openapi('PullRequestList');

export const PullNumberParam = z.object({
  number: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31)
    .openapi({ param: { name: 'number', in: 'path' }, example: 1 }),
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const UNAUTHORIZED = {
  ...json(UnauthorizedError, 'Missing or invalid bearer token'),
  headers: z.object({
    'WWW-Authenticate': z.literal('Bearer').openapi({ description: 'The scheme to authenticate with' }),
  }),
};
/**
 * The caller authenticated but may not do this: the message names the rule (the policy's key, or the
 * role's). Refused before the body is judged, and recorded in the audit trail.
 */
export const forbidden = (description: string) => json(ForbiddenError, description);
/** Every read takes a role that may read (requester, approver, admin). */
export const FORBIDDEN_READ = forbidden("The caller's role may not read");

/** Every route but the public ones; the scheme behind the name depends on the runtime (HttpDeps.securityScheme). */
export const SECURED = [{ apiAuth: [] }];

/**
 * Node's HTTP server answers 431, with no body, when a request line and its headers together pass its
 * limit (16 KiB by default), before the app sees the request: any operation, e.g. a very long query.
 */
export const HEADERS_TOO_LARGE = {
  description: 'Request line and headers over 16 KiB, refused by the HTTP server before the API; no body',
};

/** What the app's error handler answers when the store or the repository fails. */
export const UNAVAILABLE = json(UnavailableError, 'The service could not complete the request; try again');

const Commit = z
  .string()
  .regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, { message: 'is not a full commit id (40 or 64 hex digits)' });
const TerraformDocument = z.record(z.string(), z.unknown());

export const PlanReportBody = z
  .object({
    branch: z.string().min(1).max(255),
    pull_request: z
      .number()
      .int()
      .min(1)
      .max(2 ** 31),
    commit: Commit,
    plan: TerraformDocument.openapi({
      description: '`terraform show -json` of the saved plan, sensitive values dropped by the reporter.',
    }),
  })
  .strict()
  .openapi('PlanReportBody');

export const ApplyReportBody = z
  .object({
    commit: Commit.openapi({ description: 'The base branch commit applied: a pull request merge commit.' }),
    outcome: z.enum(['started', 'succeeded', 'failed']),
    plan: TerraformDocument.optional().openapi({
      description:
        'started (optional): `terraform show -json` of the saved plan about to be applied, checked when sent.',
    }),
    state: TerraformDocument.optional().openapi({
      description:
        'succeeded (and failed, when there is one): `terraform show -json` of the state after apply.',
    }),
    log: z
      .string()
      .max(64 * 1024)
      .optional()
      .openapi({
        description: "failed: Terraform's output (plain or -json lines); its errors become the reason.",
      }),
  })
  .strict()
  .openapi('ApplyReportBody');

export const DriftReportBody = z
  .object({
    branch: z.string().min(1).max(255).openapi({ description: 'The base branch the nightly plan ran on.' }),
    commit: Commit,
    plan: TerraformDocument.openapi({ description: '`terraform show -json` of `plan -detailed-exitcode`.' }),
  })
  .strict()
  .openapi('DriftReportBody');

export const PlanReportAnswer = z
  .object({
    request_id: z.string(),
    changed: z.boolean().openapi({ description: 'false: a replay of the plan already recorded.' }),
    plan: PlanView,
  })
  .openapi('PlanReportAnswer');

export const ApplyReportAnswer = z
  .object({
    commit: z.string(),
    requests: z.array(
      z.object({ request_id: z.string(), db_name: z.string(), status: Status, changed: z.boolean() }),
    ),
  })
  .openapi('ApplyReportAnswer');

export const DriftReportAnswer = z
  .object({
    commit: z.string(),
    databases: z.array(
      z.object({ db_name: z.string(), status: DriftView.shape.status, changed: z.boolean() }),
    ),
  })
  .openapi('DriftReportAnswer');
