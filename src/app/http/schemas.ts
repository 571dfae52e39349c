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
    history: z.array(HistoryEntry),
  })
  .openapi('Request');

export const RequestList = z
  .object({ requests: z.array(RequestView), next_cursor: z.string().nullable() })
  .openapi('RequestList');

export const Health = z.object({ status: z.literal('ok') }).openapi('Health');

export const RequestIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: '019a6a1e-6f3c-7a4e-9d1b-2c3d4e5f6a7b' }),
});

export const ListQueryParams = z.object({
  status: Status.optional().openapi({ param: { name: 'status', in: 'query' } }),
  kind: RequestKind.optional().openapi({ param: { name: 'kind', in: 'query' } }),
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

export const PullRequestDetail = PullRequestView.extend({ body: z.string(), diff: z.string() }).openapi(
  'PullRequestDetail',
);

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
