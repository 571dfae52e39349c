import { createRoute, z } from '@hono/zod-openapi';
import { ROLES } from '../../domain/access.js';
import type { TokenRecord, TokenStore } from '../../ports.js';
import type { AppContext } from '../context.js';
import { createToken, revokeToken, tokenRequestSchema } from '../tokens.js';
import { apiRoutes, invalidRequest } from './api-routes.js';
import { MAX_BODY_BYTES } from './body-limits.js';
import {
  forbidden,
  HEADERS_TOO_LARGE,
  InvalidRequestError,
  json,
  NotFoundError,
  PayloadTooLargeError,
  SECURED,
  UNAUTHORIZED,
  UNAVAILABLE,
  UnsupportedMediaTypeError,
} from './schemas.js';
import { requireServiceAction } from './service-gate.js';

/** Personal API tokens (admin only): POST /tokens, GET /tokens, DELETE /tokens/{id}. */

export const TokenView = z
  .object({
    id: z.string().openapi({ description: 'Public id, `tok_` and 16 characters: what the audit names.' }),
    user: z.string(),
    role: z.enum(ROLES),
    environments: z
      .array(z.string())
      .nullable()
      .openapi({ description: 'Where the role holds; null: every environment.' }),
    created_at: z.string(),
    created_by: z.string(),
    revoked_at: z.string().nullable(),
    revoked_by: z.string().nullable(),
  })
  .openapi('Token');

const CreatedToken = z
  .object({
    token: z.string().openapi({
      description:
        'The token: `rdsp_` and 43 characters. Shown this once; the service keeps only its digest.',
    }),
    id: z.string(),
    user: z.string(),
    role: z.enum(ROLES),
    environments: z.array(z.string()).nullable(),
    created_at: z.string(),
  })
  .openapi('CreatedToken');

const TokenList = z.object({ tokens: z.array(TokenView) }).openapi('TokenList');

const TokenIdParam = z.object({
  id: z
    .string()
    .regex(/^tok_[A-Za-z0-9_-]{1,60}$/, { message: 'is not a token id (tok_ and its characters)' })
    .openapi({ param: { name: 'id', in: 'path' }, example: 'tok_Q2hhbmdlTWVQbGVh' }),
});

const ADMIN_ONLY = forbidden(
  'Only an admin manages tokens (the manage_tokens action); recorded in the audit',
);

const createRouteDef = createRoute({
  method: 'post',
  path: '/tokens',
  summary: 'Make a personal API token for a user, with a role',
  description:
    "An admin's call. The token is in the answer once; the service keeps only its SHA-256 digest. The role is checked on every call, so revoking it takes effect at once. Permission first (403, whatever the body), then every bad field named (400). Recorded in the audit (user and role, never the token).",
  security: SECURED,
  request: {
    body: { required: true, content: { 'application/json': { schema: tokenRequestSchema } } },
  },
  responses: {
    201: json(CreatedToken, 'Made; the token is shown this once'),
    400: json(
      InvalidRequestError,
      `Each bad field named: a user outside 1-100 letters, digits and . _ @ + -; a role not one of ${ROLES.join(', ')} (named, with the roles listed); an environment the policy does not have`,
    ),
    401: UNAUTHORIZED,
    403: ADMIN_ONLY,
    413: json(PayloadTooLargeError, `Body over ${MAX_BODY_BYTES} bytes`),
    415: json(UnsupportedMediaTypeError, 'Body is not application/json'),
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/tokens',
  summary: 'Every token, revoked ones too, newest first (never a token or its digest)',
  security: SECURED,
  responses: {
    200: json(TokenList, 'The tokens'),
    401: UNAUTHORIZED,
    403: ADMIN_ONLY,
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

const revokeRoute = createRoute({
  method: 'delete',
  path: '/tokens/{id}',
  summary: 'Revoke a token: refused from the next call on',
  description:
    'Revoking a revoked token answers 200 with the record as it was (its first revocation kept). Recorded in the audit.',
  security: SECURED,
  request: { params: TokenIdParam },
  responses: {
    200: json(TokenView, 'Revoked (or revoked already)'),
    400: json(
      InvalidRequestError,
      "Not a token id, or the token this call is made with (revoke it with another admin's)",
    ),
    401: UNAUTHORIZED,
    403: ADMIN_ONLY,
    404: json(NotFoundError, 'No token with that id'),
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

function tokenView(record: TokenRecord): z.infer<typeof TokenView> {
  return {
    id: record.id,
    user: record.user,
    role: record.role,
    environments: record.environments,
    created_at: record.createdAt,
    created_by: record.createdBy,
    revoked_at: record.revokedAt,
    revoked_by: record.revokedBy,
  };
}

/**
 * The token routes, served where the runtime authenticates by tokens (HttpDeps.tokens). The role is
 * checked before anything of the request is read.
 */
export function tokensApi(ctx: AppContext, tokens: TokenStore) {
  const gate = requireServiceAction(ctx, 'manage_tokens', (c) =>
    c.req.method === 'POST'
      ? { action: 'token.create', target: null }
      : c.req.method === 'DELETE'
        ? { action: 'token.revoke', target: c.req.param('id') ?? null }
        : { action: 'auth.refused', target: `${c.req.method} ${c.req.path}` },
  );
  const app = apiRoutes();
  app.use('/tokens', gate);
  app.use('/tokens/:id', gate);
  return app
    .openapi(createRouteDef, async (c) => {
      const outcome = await createToken(ctx, tokens, c.get('principal'), c.req.valid('json'));
      if (outcome.kind === 'invalid') return c.json(invalidRequest(outcome.issues), 400);
      const { record } = outcome;
      return c.json(
        {
          token: outcome.token,
          id: record.id,
          user: record.user,
          role: record.role,
          environments: record.environments,
          created_at: record.createdAt,
        },
        201,
      );
    })
    .openapi(listRoute, async (c) => c.json({ tokens: (await tokens.list()).map(tokenView) }, 200))
    .openapi(revokeRoute, async (c) => {
      const outcome = await revokeToken(ctx, tokens, c.get('principal'), c.req.valid('param').id);
      if (outcome.kind === 'invalid') return c.json(invalidRequest(outcome.issues), 400);
      if (outcome.kind === 'not_found')
        return c.json({ error: 'not_found' as const, message: 'no token with that id' }, 404);
      return c.json(tokenView(outcome.record), 200);
    });
}

export type TokensApi = ReturnType<typeof tokensApi>;
