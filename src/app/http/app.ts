import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Principal } from '../../domain/access.js';
import type { RequestRecord } from '../../domain/status.js';
import type { Authenticator, PullRequestReview, TokenStore } from '../../ports.js';
import { recordAudit } from '../audit.js';
import type { AppContext } from '../context.js';
import { Inventory } from '../inventory.js';
import { type ApiEnv, apiRoutes, invalidRequest } from './api-routes.js';
import { type AuditApi, auditApi } from './audit.js';
import { limitBodies, REPORTS_PREFIX, WEBHOOK_PATH } from './body-limits.js';
import { type DatabasesApi, databasesApi } from './databases.js';
import { type PullsApi, pullsApi } from './pulls.js';
import { RefusalBudget } from './refusal-budget.js';
import { type ReportsApi, reportsApi } from './reports.js';
import { type RequestsApi, requestsApi } from './requests.js';
import { type Credential, HEADERS_TOO_LARGE, Health, json } from './schemas.js';
import { requireServiceAction } from './service-gate.js';
import { AUTH_CONFIG_PATH, type SignInApi, type SignInDeps, signInApi } from './sign-in.js';
import { type TokensApi, tokensApi } from './tokens.js';
import { isWebPath, registerWebPage, type WebAssets } from './web.js';
import {
  type GitHubWebhookConfig,
  limitDeliveriesAtOnce,
  registerGitHubWebhook,
  requireSignatureHeader,
} from './webhooks.js';
import { type WhoamiApi, whoamiApi } from './whoami.js';

/** Public, or authenticated otherwise (the webhook by its signature). */
const PUBLIC_PATHS = new Set(['/health', '/openapi.json', AUTH_CONFIG_PATH, WEBHOOK_PATH]);

export interface HttpDeps {
  ctx: AppContext;
  /**
   * Every caller, with their role: a `pipeline` principal (CI's own credential) reaches /reports/* and
   * nothing else; every other role reaches everything but the reports.
   */
  auth: Authenticator;
  /**
   * Where callers authenticate by personal tokens (the local runtime, `serve --github`, `--backend aws`):
   * with it, /tokens is served to admins. Not on the Lambda API (IAM or API keys there).
   */
  tokens?: TokenStore;
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
  /** How the page signs in (GET /auth/config): the OIDC provider, when one is configured. */
  signIn?: SignInDeps;
  /** The base branch's databases, cached across requests; one per process. */
  inventory?: Inventory;
  /** How callers authenticate, as /openapi.json describes it: a bearer token unless the runtime says otherwise. */
  securityScheme?: SecuritySchemeObject;
  /** The credential that scheme is, as GET /health names it for clients: a bearer token unless told. */
  credential?: Credential;
}

/** An OpenAPI 3.1 security scheme, extensions (API Gateway's `x-amazon-apigateway-authtype`) included. */
export type SecuritySchemeObject = { type: 'http' | 'apiKey'; [field: string]: unknown };
const BEARER: SecuritySchemeObject = { type: 'http', scheme: 'bearer' };

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Liveness, and the credential the other routes take',
  responses: { 200: json(Health, 'The service is up'), 431: HEADERS_TOO_LARGE },
});

const healthApi = (auth: Credential = 'bearer') =>
  apiRoutes().openapi(healthRoute, (c) => c.json({ status: 'ok' as const, auth }, 200));

/**
 * The whole API as Hono's typed client sees it: `hc<AppType>` (a type-only import) for the CLI and the
 * page. Each resource's sub-app is chained, so its routes carry their types; /pulls is served only with
 * the local git host (HttpDeps.review), /webhooks/github is GitHub's to call.
 */
export type AppType =
  | RequestsApi
  | ReturnType<typeof healthApi>
  | DatabasesApi
  | PullsApi
  | ReportsApi
  | SignInApi
  | WhoamiApi
  | TokensApi
  | AuditApi;

/** Routes that check a role of their own (or none: anyone may ask who they are); every other GET reads. */
const OWN_GATES = /^\/(?:whoami|tokens|audit)(?:\/|$)/;

/** The HTTP API, the same Hono app on every runtime. */
export function createApp(deps: HttpDeps): OpenAPIHono<ApiEnv> {
  const { ctx } = deps;
  const app = apiRoutes();
  app.openAPIRegistry.registerComponent(
    'securitySchemes',
    'apiAuth',
    (deps.securityScheme ?? BEARER) as Parameters<typeof app.openAPIRegistry.registerComponent>[2],
  );

  // Refused credentials in the audit, a bounded number a second: anyone can send them.
  const refusals = new RefusalBudget();
  const recordRefusal = async (reason: string, actor: Principal | string | null, target: string) => {
    const dropped = refusals.take(ctx.clock.now());
    if (dropped === null) return;
    const more = dropped > 0 ? ` (and ${dropped} more refused before this one, not recorded one by one)` : '';
    await recordAudit(ctx, {
      actor,
      action: 'auth.refused',
      outcome: 'denied',
      target,
      detail: `${reason}${more}`,
    });
  };
  const isPublic = (path: string) => PUBLIC_PATHS.has(path) || (deps.web !== undefined && isWebPath(path));

  app.use('*', async (c, next) => {
    if (isPublic(c.req.path)) return next();
    const request = { header: (name: string) => c.req.header(name), env: c.env };
    const report = c.req.path.startsWith(REPORTS_PREFIX);
    const authenticated = await deps.auth.authenticate(request);
    // The pipeline's credential reaches the reports and nothing else; no other credential reaches them.
    if (!authenticated.ok || report !== (authenticated.principal.role === 'pipeline')) {
      const reason = !authenticated.ok
        ? authenticated.reason
        : report
          ? "reports take the pipeline's credential, not a requester's"
          : "the pipeline's credential reaches the reports (/reports/*) and nothing else";
      await recordRefusal(
        reason,
        authenticated.ok ? authenticated.principal : (authenticated.actor ?? null),
        `${c.req.method} ${c.req.path}`,
      );
      // Proved who they are, but the policy gives them no role (access.default_role null): 403, not 401.
      if (!authenticated.ok && authenticated.forbidden)
        return c.json({ error: 'forbidden' as const, message: reason }, 403);
      c.header('WWW-Authenticate', 'Bearer');
      const message = report ? "reports take the pipeline's credential, not a requester's" : reason;
      return c.json({ error: 'unauthorized' as const, message }, 401);
    }
    c.set('principal', authenticated.principal);
    c.set('identity', authenticated.principal.id);
    return next();
  });

  // Every read takes a role that may read; /whoami, /tokens and /audit check their own.
  const mayRead = requireServiceAction(ctx, 'read');
  app.use('*', (c, next) =>
    (c.req.method === 'GET' || c.req.method === 'HEAD') &&
    !isPublic(c.req.path) &&
    !c.req.path.startsWith(REPORTS_PREFIX) &&
    !OWN_GATES.test(c.req.path)
      ? mayRead(c, next)
      : next(),
  );

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
  app.use('/tokens', requireJson);
  app.use(`${REPORTS_PREFIX}*`, requireJson);

  // Every body, on every route, within its route's limit.
  app.use('*', limitBodies);

  const publicBase = (c: Context) => deps.publicBase?.(c) ?? new URL(c.req.url).origin;
  const onAccepted = deps.onAccepted ? { onAccepted: deps.onAccepted } : {};
  app.route('/', requestsApi({ ctx, publicBase, ...onAccepted }));
  app.route('/', healthApi(deps.credential));
  app.route('/', signInApi(deps.signIn));
  app.route(
    '/',
    databasesApi({ ctx, inventory: deps.inventory ?? new Inventory(), publicBase, ...onAccepted }),
  );
  if (deps.review) app.route('/', pullsApi(ctx, deps.review));
  app.route('/', whoamiApi(ctx));
  if (deps.tokens) app.route('/', tokensApi(ctx, deps.tokens));
  app.route('/', auditApi(ctx));
  app.route('/', reportsApi(ctx));
  if (deps.web) registerWebPage(app, deps.web, deps.signIn);
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
    if (error instanceof HTTPException && error.status === 400)
      return c.json(invalidRequest([{ path: '(body)', message: 'is not valid JSON' }]), 400);
    if (error instanceof HTTPException && error.status < 500)
      return c.json(invalidRequest([{ path: '(request)', message: error.message }]), 400);
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
