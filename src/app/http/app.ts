import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import * as z from 'zod';
import { formOptions } from '../../domain/form-options.js';
import { requestV1Schema, toFieldIssues } from '../../domain/request.js';
import type { RequestRecord } from '../../domain/status.js';
import { checkRequest } from '../../domain/validate.js';
import { type Authenticator, InvalidCursorError, type PullRequestReview } from '../../ports.js';
import { acceptRequest } from '../accept-request.js';
import type { AppContext } from '../context.js';
import { Inventory } from '../inventory.js';
import { previewRequest } from '../preview-request.js';
import { limitBodies, MAX_BODY_BYTES, WEBHOOK_PATH } from './body-limits.js';
import { databasesApi } from './databases.js';
import { registerPullRequestRoutes } from './pulls.js';
import {
  Accepted,
  ConflictError,
  HEADERS_TOO_LARGE,
  Health,
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
import { requestView } from './views.js';
import { isWebPath, registerWebPage, type WebAssets } from './web.js';
import {
  type GitHubWebhookConfig,
  limitDeliveriesAtOnce,
  registerGitHubWebhook,
  requireSignatureHeader,
} from './webhooks.js';

/** Public, or authenticated otherwise (the webhook by its signature). */
const PUBLIC_PATHS = new Set(['/health', '/openapi.json', WEBHOOK_PATH]);

export interface HttpDeps {
  ctx: AppContext;
  auth: Authenticator;
  /** Local git host only: pull request review routes under /pulls. */
  review?: PullRequestReview;
  /** The GitHub repository the service targets and its webhook secret: with them, POST /webhooks/github is served. */
  webhook?: GitHubWebhookConfig;
  /** Told of each accepted request, so a local worker can start at once instead of at its next poll. */
  onAccepted?: (record: RequestRecord) => void;
  /**
   * The API's public root, for status_url. By default the request URL's origin; behind API Gateway the
   * stage (or a custom domain's base path) comes before the routes.
   */
  publicBase?: (c: Context) => string;
  /** The self-service page (local runtime): served at / and /assets/. */
  web?: WebAssets;
  /** The base branch's databases, cached across requests; one per process. */
  inventory?: Inventory;
  /** How callers authenticate, as /openapi.json describes it: a bearer token unless the runtime says otherwise. */
  securityScheme?: SecuritySchemeObject;
}

/** An OpenAPI 3.1 security scheme, extensions (API Gateway's `x-amazon-apigateway-authtype`) included. */
export type SecuritySchemeObject = { type: 'http' | 'apiKey'; [field: string]: unknown };
const BEARER: SecuritySchemeObject = { type: 'http', scheme: 'bearer' };

type Env = { Variables: { identity: string } };

const provisionRoute = createRoute({
  method: 'post',
  path: '/provision',
  summary: 'Ask for a database',
  description:
    'Checks the request against the schema and the policy, then queues it. Follow it at status_url. With dry_run=true, only checks it and returns the file it would write.',
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
    431: HEADERS_TOO_LARGE,
  },
});

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Liveness',
  responses: { 200: json(Health, 'The service is up'), 431: HEADERS_TOO_LARGE },
});

const invalid = (c: Context, issues: { path: string; message: string }[]) =>
  c.json({ error: 'invalid_request' as const, issues }, 400);

/** The HTTP API, the same Hono app on every runtime. */
export function createApp(deps: HttpDeps): OpenAPIHono<Env> {
  const { ctx } = deps;
  const app = new OpenAPIHono<Env>({
    // Schema failures of body, params or query: 400 naming each field, like every other invalid input.
    defaultHook: (result, c) => {
      if (!result.success) return invalid(c, toFieldIssues(result.error));
    },
  });
  app.openAPIRegistry.registerComponent(
    'securitySchemes',
    'apiAuth',
    (deps.securityScheme ?? BEARER) as Parameters<typeof app.openAPIRegistry.registerComponent>[2],
  );

  app.use('*', async (c, next) => {
    if (PUBLIC_PATHS.has(c.req.path) || (deps.web && isWebPath(c.req.path))) return next();
    const identity = await deps.auth.authenticate({ header: (name) => c.req.header(name), env: c.env });
    if (!identity) {
      c.header('WWW-Authenticate', 'Bearer');
      return c.json({ error: 'unauthorized' as const, message: 'a valid bearer token is required' }, 401);
    }
    c.set('identity', identity);
    return next();
  });

  // An unsigned delivery is refused before any of its body is read.
  if (deps.webhook) app.use(WEBHOOK_PATH, requireSignatureHeader, limitDeliveriesAtOnce());

  const requireJson: MiddlewareHandler = async (c, next) => {
    if (c.req.method !== 'POST' && c.req.method !== 'PATCH') return next();
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      return c.json(
        { error: 'unsupported_media_type' as const, message: 'send the request as application/json' },
        415,
      );
    }
    return next();
  };
  app.use('/provision', requireJson);
  app.use('/databases/*', requireJson);

  // Every body, on every route, within its route's limit.
  app.use('*', limitBodies);

  app.openapi(
    provisionRoute,
    async (c) => {
      const request = c.req.valid('json');
      const outcome =
        c.req.valid('query').dry_run === 'true'
          ? await previewRequest(ctx, request, c.get('identity'))
          : await acceptRequest(ctx, request, c.get('identity'));
      if (outcome.kind === 'invalid')
        return c.json({ error: 'invalid_request' as const, issues: outcome.issues }, 400);
      if (outcome.kind === 'conflict') {
        return c.json(
          { error: 'conflict' as const, request_id: outcome.requestId, message: outcome.message },
          409,
        );
      }
      if (outcome.kind === 'preview') {
        const { filePath, branch, base, content, pullRequest } = outcome;
        return c.json(
          { dry_run: true as const, file_path: filePath, branch, base, content, pull_request: pullRequest },
          200,
        );
      }
      deps.onAccepted?.(outcome.record);
      const base = deps.publicBase?.(c) ?? new URL(c.req.url).origin;
      const statusUrl = `${base}/requests/${outcome.record.id}`;
      return c.json({ request_id: outcome.record.id, status: 'queued' as const, status_url: statusUrl }, 202);
    },
    (result, c) => {
      if (result.success) return;
      // A body the schema refuses is checked whole, schema and policy, so one answer lists every problem.
      if (result.target === 'json' && 'data' in result) {
        const checked = checkRequest(result.data, ctx.policy.policy);
        if (!checked.ok) return invalid(c, checked.issues);
      }
      return invalid(c, toFieldIssues(result.error));
    },
  );

  app.openapi(getRequestRoute, async (c) => {
    const record = await ctx.store.get(c.req.valid('param').id);
    if (!record) return c.json({ error: 'not_found' as const, message: 'no request with that id' }, 404);
    return c.json(requestView(record), 200);
  });

  app.openapi(listRequestsRoute, async (c) => {
    const { status, kind, limit, cursor } = c.req.valid('query');
    let page: Awaited<ReturnType<typeof ctx.store.list>>;
    try {
      page = await ctx.store.list({
        limit,
        ...(status ? { status } : {}),
        ...(kind ? { kind } : {}),
        ...(cursor ? { cursor } : {}),
      });
    } catch (error) {
      if (error instanceof InvalidCursorError)
        return invalid(c, [{ path: 'cursor', message: 'is not a cursor this API returned' }]);
      throw error;
    }
    return c.json({ requests: page.records.map(requestView), next_cursor: page.nextCursor }, 200);
  });

  // Computed once: the policy and the schema do not change while the app runs.
  const form = {
    schema: z.toJSONSchema(requestV1Schema, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >,
    ...formOptions(ctx.policy.policy),
  };
  app.openapi(requestFormRoute, (c) => c.json(form, 200));

  app.openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200));

  app.route(
    '/',
    databasesApi({
      ctx,
      inventory: deps.inventory ?? new Inventory(),
      publicBase: (c) => deps.publicBase?.(c) ?? new URL(c.req.url).origin,
      ...(deps.onAccepted ? { onAccepted: deps.onAccepted } : {}),
    }),
  );
  if (deps.review) registerPullRequestRoutes(app, ctx, deps.review);
  if (deps.web) registerWebPage(app, deps.web);
  if (deps.webhook) registerGitHubWebhook(app, ctx, deps.webhook);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'rds-provisioner',
      version: '1',
      description:
        'Self-service database provisioning through GitOps: ask for a database, follow it to a merged pull request.',
    },
  });

  app.notFound((c) =>
    c.json({ error: 'not_found' as const, message: `no route for ${c.req.method} ${c.req.path}` }, 404),
  );

  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 400) {
      return invalid(c, [{ path: '(body)', message: 'is not valid JSON' }]);
    }
    if (error instanceof HTTPException && error.status < 500)
      return c.json(
        { error: 'invalid_request' as const, issues: [{ path: '(request)', message: error.message }] },
        400,
      );
    ctx.logger.error('unhandled error', {
      path: c.req.path,
      error: error instanceof Error ? error.message : String(error),
    });
    return c.json(
      { error: 'unavailable' as const, message: 'the service could not complete the request; try again' },
      503,
    );
  });

  return app;
}
