import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { verify } from '@octokit/webhooks-methods';
import { requestIdFromBody } from '../../render/pull-request-marker.js';
import { applyCheckEvent } from '../apply-check-event.js';
import { applyPullRequestEvent } from '../apply-pull-request-event.js';
import type { AppContext } from '../context.js';
import { InvalidRequestError, json, UnauthorizedError } from './schemas.js';

const WebhookOutcome = z
  .object({ outcome: z.enum(['applied', 'unchanged']), request_id: z.string() })
  .openapi('WebhookOutcome');

const route = createRoute({
  method: 'post',
  path: '/webhooks/github',
  summary: 'GitHub webhook: pull request merged or closed, check runs and commit statuses',
  description:
    'Authenticated by X-Hub-Signature-256 (HMAC of the body with the webhook secret), not by a token.',
  request: {
    headers: z.object({
      'x-github-event': z.string().optional(),
      'x-hub-signature-256': z.string().optional(),
    }),
  },
  responses: {
    200: json(WebhookOutcome, 'The event concerned a request: applied, or a replay that changed nothing'),
    204: { description: 'An event or a pull request this service does not track' },
    400: json(InvalidRequestError, 'The body is not JSON'),
    401: json(UnauthorizedError, 'Missing or invalid signature'),
  },
});

interface PullRequestPayload {
  action?: string;
  pull_request?: { number?: number; merged?: boolean; body?: string | null };
}
interface CheckRunPayload {
  action?: string;
  check_run?: {
    id?: number;
    name?: string;
    status?: string;
    conclusion?: string | null;
    check_suite?: { head_branch?: string | null };
  };
}
interface StatusPayload {
  id?: number;
  state?: string;
  context?: string;
  branches?: Array<{ name?: string }>;
}

export interface GitHubWebhookConfig {
  /** `OWNER/REPO`: only events about this repository change anything. */
  repository: string;
  /** The webhook secret, or how to get it when a delivery arrives. */
  secret: string | (() => Promise<string>);
}

/** POST /webhooks/github: closes the loop after review. Nothing changes without a valid signature. */
export function registerGitHubWebhook<E extends object>(
  app: OpenAPIHono<E & { Variables: { identity: string } }>,
  ctx: AppContext,
  { secret }: GitHubWebhookConfig,
): void {
  app.openapi(route, async (c) => {
    const payload = await c.req.text();
    const signature = c.req.header('x-hub-signature-256');
    // Unreadable secret: the app answers 503 (a retry helps), never 401 (GitHub would not retry).
    const key = typeof secret === 'string' ? secret : await secret();
    if (!signature || !(await verify(key, payload, signature).catch(() => false))) {
      return c.json(
        { error: 'unauthorized' as const, message: 'missing or invalid X-Hub-Signature-256' },
        401,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      return c.json(
        { error: 'invalid_request' as const, issues: [{ path: '(body)', message: 'is not valid JSON' }] },
        400,
      );
    }
    const at = ctx.clock.now();
    const event = c.req.header('x-github-event');
    if (event === 'pull_request') {
      const { action, pull_request: pr } = body as PullRequestPayload;
      const requestId = requestIdFromBody(pr?.body);
      if (action !== 'closed' || !requestId || typeof pr?.number !== 'number') return c.body(null, 204);
      const result = await applyPullRequestEvent(ctx, {
        requestId,
        action: pr.merged ? 'merged' : 'closed',
        number: pr.number,
        at,
      });
      if (!result) return c.body(null, 204);
      return c.json(
        { outcome: result.changed ? ('applied' as const) : ('unchanged' as const), request_id: requestId },
        200,
      );
    }
    const check = checkEvent(event, body);
    if (!check) return c.body(null, 204);
    const id = await applyCheckEvent(ctx, { ...check, at });
    return id ? c.json({ outcome: 'applied' as const, request_id: id }, 200) : c.body(null, 204);
  });
}

function checkEvent(event: string | undefined, body: unknown): { branches: string[]; detail: string } | null {
  if (event === 'check_run') {
    const { action, check_run: run } = body as CheckRunPayload;
    const branch = run?.check_suite?.head_branch;
    if (!run || !branch || !action) return null;
    const result = run.conclusion ? `${run.status}: ${run.conclusion}` : (run.status ?? action);
    return { branches: [branch], detail: `check run "${run.name}" #${run.id} ${result}` };
  }
  if (event === 'status') {
    const status = body as StatusPayload;
    const branches = (status.branches ?? [])
      .map((b) => b.name)
      .filter((n): n is string => typeof n === 'string');
    if (branches.length === 0 || !status.state) return null;
    return { branches, detail: `commit status "${status.context}" #${status.id} ${status.state}` };
  }
  return null;
}
