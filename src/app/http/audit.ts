import { createRoute, z } from '@hono/zod-openapi';
import { ROLES } from '../../domain/access.js';
import { AUDIT_ACTIONS, type AuditEntry } from '../../ports.js';
import type { AppContext } from '../context.js';
import { apiRoutes, INVALID_CURSOR, pageUnlessBadCursor } from './api-routes.js';
import {
  forbidden,
  HEADERS_TOO_LARGE,
  InvalidRequestError,
  json,
  PageParams,
  SECURED,
  UNAUTHORIZED,
  UNAVAILABLE,
} from './schemas.js';
import { requireServiceAction } from './service-gate.js';

/** GET /audit: who did what, and every refusal, newest first (approvers and admins). */

const OUTCOMES = ['allowed', 'denied'] as const;

export const AuditEntryView = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.string().openapi({
      description:
        'Who: a user, an OIDC subject, an IAM ARN, `api-key:ID`, `github:LOGIN` (a merge on GitHub), or `(unauthenticated)`.',
    }),
    role: z.enum(ROLES).nullable(),
    action: z.enum(AUDIT_ACTIONS),
    outcome: z.enum(OUTCOMES),
    target: z
      .string()
      .nullable()
      .openapi({ description: 'A request id, `db:NAME`, `pull:NUMBER`, a token id, or `METHOD PATH`.' }),
    environment: z.string().nullable(),
    detail: z.string().nullable(),
  })
  .openapi('AuditEntry');

const AuditPage = z
  .object({ entries: z.array(AuditEntryView), next_cursor: z.string().nullable() })
  .openapi('AuditPage');

/** An ISO 8601 date or date-time, as the UTC time the trail's `at` compares with. */
const IsoTime = z
  .string()
  .max(40)
  .regex(/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/, {
    message: 'is not an ISO 8601 date or time (e.g. 2026-12-01T09:00:00Z)',
  })
  .refine((text) => !Number.isNaN(Date.parse(text)), { message: 'is not a time that exists' })
  .transform((text) => new Date(text).toISOString());

const AuditQuery = z.object({
  actor: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .openapi({ param: { name: 'actor', in: 'query' } }),
  action: z
    .enum(AUDIT_ACTIONS)
    .optional()
    .openapi({ param: { name: 'action', in: 'query' } }),
  outcome: z
    .enum(OUTCOMES)
    .optional()
    .openapi({ param: { name: 'outcome', in: 'query' } }),
  since: IsoTime.optional().openapi({
    param: { name: 'since', in: 'query' },
    description: 'Entries at or after this time.',
  }),
  until: IsoTime.optional().openapi({
    param: { name: 'until', in: 'query' },
    description: 'Entries before this time.',
  }),
  ...PageParams,
});

const route = createRoute({
  method: 'get',
  path: '/audit',
  summary: 'The audit trail: every request, change, retirement, merge, close, token change and refusal',
  description:
    "Newest first, filtered by actor, action, outcome and time. Refused calls without a valid credential (auth.refused, 401) are recorded at most a few a second per server: the rest are counted into the next such entry's detail, so strangers cannot grow the trail without bound.",
  security: SECURED,
  request: { query: AuditQuery },
  responses: {
    200: json(AuditPage, 'A page of entries; pass next_cursor as cursor for the next'),
    400: json(InvalidRequestError, 'Invalid parameter, each named (a cursor this API did not return)'),
    401: UNAUTHORIZED,
    403: forbidden('Only approvers and admins read the audit trail (the read_audit action)'),
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

function entryView(entry: AuditEntry): z.infer<typeof AuditEntryView> {
  return {
    id: entry.id,
    at: entry.at,
    actor: entry.actor,
    role: entry.role,
    action: entry.action,
    outcome: entry.outcome,
    target: entry.target,
    environment: entry.environment,
    detail: entry.detail,
  };
}

export function auditApi(ctx: AppContext) {
  const app = apiRoutes();
  app.use('/audit', requireServiceAction(ctx, 'read_audit'));
  return app.openapi(route, async (c) => {
    const { limit, cursor, ...filters } = c.req.valid('query');
    const page = await pageUnlessBadCursor(() =>
      ctx.audit.list({
        limit,
        ...Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)),
        ...(cursor ? { cursor } : {}),
      }),
    );
    if (!page) return c.json(INVALID_CURSOR, 400);
    return c.json({ entries: page.entries.map(entryView), next_cursor: page.nextCursor }, 200);
  });
}

export type AuditApi = ReturnType<typeof auditApi>;
