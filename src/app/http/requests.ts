import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { formOptions } from '../../domain/form-options.js';
import { requestV1Schema, toFieldIssues } from '../../domain/request.js';
import { type AcceptOutcome, acceptRequest } from '../accept-request.js';
import { type PreviewOutcome, previewRequest } from '../preview-request.js';
import {
  type ApiEnv,
  apiRoutes,
  INVALID_CURSOR,
  invalidRequest,
  pageUnlessBadCursor,
  refusalAnswer,
} from './api-routes.js';
import { MAX_BODY_BYTES } from './body-limits.js';
import type { DatabasesDeps } from './databases.js';
import {
  Accepted,
  ConflictError,
  FORBIDDEN_READ,
  forbidden,
  HEADERS_TOO_LARGE,
  InvalidRequestError,
  json,
  ListQueryParams,
  NotFoundError,
  PayloadTooLargeError,
  Preview,
  ProvisionQuery,
  RequestForm,
  RequestIdParam,
  RequestList,
  RequestV1,
  RequestView,
  SECURED,
  UNAUTHORIZED,
  UNAVAILABLE,
  UnavailableError,
  UnsupportedMediaTypeError,
} from './schemas.js';
import { connectionOf, costView, requestView } from './views.js';

/** Asking for a database (POST /provision), following requests, and what a request form needs. */

const provisionRoute = createRoute({
  method: 'post',
  path: '/provision',
  summary: 'Ask for a database',
  description:
    'Checks that the caller may ask for a database in the environment the body names, then the request against the schema and the policy, then queues it. Follow it at status_url. With dry_run=true, only checks it and returns the file it would write. Permission comes first: a caller who may not ask for databases in that environment gets 403 whatever else is wrong with the body (fixing the body would not help); a body that names no environment of the policy is judged whole (400). Every accepted request and every refusal (403) is recorded in the audit trail.',
  security: SECURED,
  request: {
    query: ProvisionQuery,
    body: { required: true, content: { 'application/json': { schema: RequestV1 } } },
  },
  responses: {
    200: json(
      Preview,
      'dry_run=true: the file and pull request this request would produce; nothing recorded',
    ),
    202: json(Accepted, 'Accepted and queued'),
    400: json(InvalidRequestError, 'Invalid request: each bad field named'),
    401: UNAUTHORIZED,
    403: forbidden(
      "The caller's role may not ask for databases in that environment (environments.<env>.access.request), or holds it only in other environments; nothing recorded but the refusal in the audit trail",
    ),
    409: json(
      ConflictError,
      'The database exists in the repository, in any environment (a name is one database; the message names its file), or a request for it is in flight',
    ),
    413: json(PayloadTooLargeError, `Body over ${MAX_BODY_BYTES} bytes`),
    415: json(UnsupportedMediaTypeError, 'Body is not application/json'),
    431: HEADERS_TOO_LARGE,
    503: json(UnavailableError, 'The repository could not be checked; try again'),
  },
});

const getRequestRoute = createRoute({
  method: 'get',
  path: '/requests/{id}',
  summary: 'Follow a request',
  security: SECURED,
  request: { params: RequestIdParam },
  responses: {
    200: json(RequestView, 'The request, its status and its history'),
    400: json(InvalidRequestError, 'Invalid parameter'),
    401: UNAUTHORIZED,
    403: FORBIDDEN_READ,
    404: json(NotFoundError, 'No such request'),
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

const listRequestsRoute = createRoute({
  method: 'get',
  path: '/requests',
  summary: 'List requests, newest first',
  security: SECURED,
  request: { query: ListQueryParams },
  responses: {
    200: json(RequestList, 'A page of requests; pass next_cursor as cursor for the next'),
    400: json(InvalidRequestError, 'Invalid parameter'),
    401: UNAUTHORIZED,
    403: FORBIDDEN_READ,
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

const requestFormRoute = createRoute({
  method: 'get',
  path: '/request-form',
  summary: "What a request form needs: the request's JSON Schema and what each environment allows",
  security: SECURED,
  responses: {
    200: json(RequestForm, 'The schema of request version 1 and, per environment, the choices and defaults'),
    401: UNAUTHORIZED,
    403: FORBIDDEN_READ,
    431: HEADERS_TOO_LARGE,
  },
});

export type RequestsDeps = Pick<DatabasesDeps, 'ctx' | 'publicBase' | 'onAccepted'>;

/** The routes, chained so that their types make `RequestsApi`, which the CLI's and the page's client use. */
export function requestsApi(deps: RequestsDeps) {
  const { ctx } = deps;
  // Computed once: the policy and the schema do not change while the app runs.
  const form = {
    schema: z.toJSONSchema(requestV1Schema, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >,
    ...formOptions(ctx.policy.policy),
  };
  const answer = (c: Context, outcome: AcceptOutcome | PreviewOutcome) => {
    switch (outcome.kind) {
      case 'invalid':
      case 'forbidden':
      case 'conflict':
        return refusalAnswer(c, outcome);
      case 'preview': {
        const { filePath, branch, base, content, pullRequest, cost } = outcome;
        return c.json(
          {
            dry_run: true as const,
            file_path: filePath,
            branch,
            base,
            content,
            pull_request: pullRequest,
            cost: costView(cost),
          },
          200,
        );
      }
      case 'accepted': {
        deps.onAccepted?.(outcome.record);
        const statusUrl = `${deps.publicBase(c)}/requests/${outcome.record.id}`;
        return c.json(
          { request_id: outcome.record.id, status: 'queued' as const, status_url: statusUrl },
          202,
        );
      }
    }
  };
  const provision = (c: Context<ApiEnv>, body: unknown) =>
    c.req.query('dry_run') === 'true'
      ? previewRequest(ctx, body, c.get('principal'))
      : acceptRequest(ctx, body, c.get('principal'));
  return apiRoutes()
    .openapi(
      provisionRoute,
      async (c) => answer(c, await provision(c, c.req.valid('json'))),
      (result, c) => {
        if (result.success) return;
        // A body the schema refuses goes to the use case all the same: permission first (403), then the
        // body checked whole, schema and policy, so one answer lists every problem.
        if (result.target === 'json' && 'data' in result) {
          // The hook's answers are the route's own (answer() is typed by them); its signature is not.
          const judged: Promise<Response> = provision(c, result.data).then(
            (outcome) => answer(c, outcome) as unknown as Response,
          );
          return judged;
        }
        return c.json(invalidRequest(toFieldIssues(result.error)), 400);
      },
    )
    .openapi(getRequestRoute, async (c) => {
      const record = await ctx.store.get(c.req.valid('param').id);
      if (!record) return c.json({ error: 'not_found' as const, message: 'no request with that id' }, 404);
      const report =
        record.status === 'ready' ? await ctx.store.databaseReport(record.request.db_name) : null;
      return c.json(requestView(record, connectionOf(record, report?.connection ?? null)), 200);
    })
    .openapi(listRequestsRoute, async (c) => {
      const { status, kind, limit, cursor } = c.req.valid('query');
      const page = await pageUnlessBadCursor(() =>
        ctx.store.list({
          limit,
          ...(status ? { status } : {}),
          ...(kind ? { kind } : {}),
          ...(cursor ? { cursor } : {}),
        }),
      );
      if (!page) return c.json(INVALID_CURSOR, 400);
      return c.json(
        { requests: page.records.map((record) => requestView(record)), next_cursor: page.nextCursor },
        200,
      );
    })
    .openapi(requestFormRoute, (c) => c.json(form, 200));
}

export type RequestsApi = ReturnType<typeof requestsApi>;
