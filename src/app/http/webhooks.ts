import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { verify } from '@octokit/webhooks-methods';
import type { MiddlewareHandler } from 'hono';
import { applyCheckEvent } from '../apply-check-event.js';
import { applyPullRequestEvent } from '../apply-pull-request-event.js';
import type { AppContext } from '../context.js';
import { MAX_WEBHOOK_BODY_BYTES, WEBHOOK_PATH } from './body-limits.js';
import { readGitHubEvent } from './github-events.js';
import {
  InvalidRequestError,
  json,
  PayloadTooLargeError,
  UNAVAILABLE,
  UnauthorizedError,
} from './schemas.js';

const WebhookOutcome = z
  .object({ outcome: z.enum(['applied', 'unchanged']), request_id: z.string() })
  .openapi('WebhookOutcome');

const SIGNATURE = /^sha256=[0-9a-f]{64}$/i;

/**
 * Deliveries read at once. Each may hold up to MAX_WEBHOOK_BODY_BYTES before its signature can be
 * checked, so this bounds what strangers can make the server hold in total (64 MiB); GitHub sends far
 * fewer at once.
 */
export const MAX_WEBHOOKS_AT_ONCE = 64;

const route = createRoute({
  method: 'post',
  path: WEBHOOK_PATH,
  summary: 'GitHub webhook: pull request merged or closed, check runs and commit statuses',
  description: [
    'Authenticated by X-Hub-Signature-256 (HMAC-SHA256 of the body with the webhook secret), not by a token:',
    'a missing or malformed header (not `sha256=` and 64 hex digits) is refused before any of the body is read.',
    `The body may be at most ${MAX_WEBHOOK_BODY_BYTES} bytes (1 MiB): GitHub's pull_request and check_run payloads`,
    'are tens of KB plus a pull request body of at most 65,536 characters; GitHub itself caps deliveries at 25 MB.',
    `At most ${MAX_WEBHOOKS_AT_ONCE} deliveries are read at once; one more gets 503 with Retry-After, unread.`,
    'Only events about the configured repository change anything: a pull_request event settles the request its',
    "marker names when it comes from that repository (not a fork) into the base branch, from the request's",
    "branch, and (once recorded) as the request's pull request number; check runs and commit statuses are",
    'recorded on the request in flight on their branch. A merge or close that settles a request is recorded in the',
    'audit trail as `github:LOGIN` (who merged it, else who sent the event), once: a redelivery records nothing.',
  ].join(' '),
  request: {
    headers: z.object({
      'x-github-event': z.string().optional(),
      'x-hub-signature-256': z.string().optional().openapi({ description: '`sha256=` and 64 hex digits' }),
    }),
  },
  responses: {
    200: json(WebhookOutcome, 'The event concerned a request: applied, or a replay that changed nothing'),
    204: {
      description:
        'Nothing to do: an event this service does not handle, or one about another repository, a fork, another branch or pull request',
    },
    400: json(
      InvalidRequestError,
      'The body is not JSON, or not the shape GitHub sends for the event: each bad field named',
    ),
    401: json(UnauthorizedError, 'Missing, malformed or invalid signature'),
    413: json(PayloadTooLargeError, `Body over ${MAX_WEBHOOK_BODY_BYTES} bytes`),
    503: UNAVAILABLE,
  },
});

export interface GitHubWebhookConfig {
  /** `OWNER/REPO`: only events about this repository change anything. */
  repository: string;
  /** The webhook secret, or how to get it when a delivery arrives. */
  secret: string | (() => Promise<string>);
}

const unauthorized = { error: 'unauthorized' as const, message: 'missing or invalid X-Hub-Signature-256' };

/**
 * Lets at most `max` deliveries be read and handled at once; one more is answered 503 before any of its
 * body is read. One gate per app: a Lambda container handles one request at a time and never meets it.
 */
export function limitDeliveriesAtOnce(max = MAX_WEBHOOKS_AT_ONCE): MiddlewareHandler {
  let inFlight = 0;
  return async (c, next) => {
    if (inFlight >= max) {
      c.header('Retry-After', '1');
      return c.json(
        { error: 'unavailable' as const, message: 'too many webhook deliveries at once; try again' },
        503,
      );
    }
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
    }
  };
}

/** Refuses a delivery without a well-formed signature header before any of its body is read. */
export const requireSignatureHeader: MiddlewareHandler = async (c, next) => {
  if (c.req.method !== 'POST' || SIGNATURE.test(c.req.header('x-hub-signature-256') ?? '')) return next();
  return c.json(unauthorized, 401);
};

/**
 * POST /webhooks/github: closes the loop after review. Nothing changes without a valid signature, and
 * nothing but the configured repository's own pull requests and checks changes a request.
 */
export function registerGitHubWebhook<E extends object>(
  app: OpenAPIHono<E & { Variables: { identity: string } }>,
  ctx: AppContext,
  { repository, secret }: GitHubWebhookConfig,
): void {
  app.openapi(route, async (c) => {
    // Within MAX_WEBHOOK_BODY_BYTES: limitBodies has counted it.
    const payload = await c.req.text();
    const signature = c.req.header('x-hub-signature-256') as string;
    // Unreadable secret: the app answers 503 (a retry helps), never 401 (GitHub would not retry).
    const key = typeof secret === 'string' ? secret : await secret();
    if (!(await verify(key, payload, signature).catch(() => false))) return c.json(unauthorized, 401);
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      return c.json(
        { error: 'invalid_request' as const, issues: [{ path: '(body)', message: 'is not valid JSON' }] },
        400,
      );
    }
    const name = c.req.header('x-github-event');
    const delivery = { event: name?.slice(0, 64), delivery: c.req.header('x-github-delivery')?.slice(0, 64) };
    const ignored = (reason: string) => {
      ctx.logger.info('webhook ignored', { ...delivery, reason });
      return c.body(null, 204);
    };

    const event = readGitHubEvent(name, body, { repository, base: ctx.conventions.base });
    if (event.kind === 'invalid') {
      ctx.logger.warn('webhook refused', { ...delivery, issues: event.issues });
      return c.json({ error: 'invalid_request' as const, issues: event.issues }, 400);
    }
    if (event.kind === 'ignored') return ignored(event.reason);
    const at = ctx.clock.now();
    if (event.kind === 'pull_request') {
      const result = await applyPullRequestEvent(ctx, { ...event, at });
      if (result.refused !== undefined) return ignored(result.refused);
      const outcome = result.changed ? ('applied' as const) : ('unchanged' as const);
      return c.json({ outcome, request_id: event.requestId }, 200);
    }
    const result = await applyCheckEvent(ctx, { ...event, at });
    if (result.refused !== undefined) return ignored(result.refused);
    return c.json({ outcome: 'applied' as const, request_id: result.requestId }, 200);
  });
}
