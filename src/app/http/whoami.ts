import { createRoute, z } from '@hono/zod-openapi';
import {
  CREDENTIAL_KINDS,
  capabilities,
  ENVIRONMENT_ACTIONS,
  ROLES,
  SERVICE_ACTIONS,
} from '../../domain/access.js';
import type { AppContext } from '../context.js';
import { apiRoutes } from './api-routes.js';
import { forbidden, HEADERS_TOO_LARGE, json, SECURED, UNAUTHORIZED } from './schemas.js';

const flags = <const T extends readonly string[]>(names: T) =>
  z.object(
    Object.fromEntries(names.map((name) => [name, z.boolean()])) as { [K in T[number]]: z.ZodBoolean },
  );

export const WhoAmI = z
  .object({
    id: z.string().openapi({
      description:
        'Who the service takes you for: what your requests record as their requester and the audit as the actor.',
    }),
    role: z.enum(ROLES),
    environments: z.array(z.string()).nullable().openapi({
      description: 'Where the role holds; null: every environment. Elsewhere you may read, nothing more.',
    }),
    via: z.enum(CREDENTIAL_KINDS).openapi({ description: 'How you authenticated.' }),
    capabilities: z.object({
      service: flags(SERVICE_ACTIONS),
      environments: z.record(z.string(), flags(ENVIRONMENT_ACTIONS)).openapi({
        description:
          "Per environment of the policy, what you may do there; merge as for someone else's request (separation of duties refuses your own where the policy says so).",
      }),
    }),
  })
  .openapi('WhoAmI');

const route = createRoute({
  method: 'get',
  path: '/whoami',
  summary: 'Who the service takes you for, your role, and what you may do',
  security: SECURED,
  responses: {
    200: json(WhoAmI, 'You, as the service sees you'),
    401: UNAUTHORIZED,
    403: forbidden(
      'The credential is valid but the policy gives its identity no role (access.default_role null, no access.principals entry): refused on every route',
    ),
    431: HEADERS_TOO_LARGE,
  },
});

/** GET /whoami: on every runtime, for the CLI and the page (which offers only what you may do). */
export function whoamiApi(ctx: AppContext) {
  return apiRoutes().openapi(route, (c) => {
    const principal = c.get('principal');
    return c.json(
      {
        id: principal.id,
        role: principal.role,
        environments: principal.environments === null ? null : [...principal.environments],
        via: principal.via,
        capabilities: capabilities(principal, ctx.policy.policy),
      },
      200,
    );
  });
}

export type WhoamiApi = ReturnType<typeof whoamiApi>;
