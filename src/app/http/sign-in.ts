import { createRoute, z } from '@hono/zod-openapi';
import { apiRoutes } from './api-routes.js';
import { HEADERS_TOO_LARGE, json, UnavailableError } from './schemas.js';

/**
 * GET /auth/config, public: how the web page may sign a person in, asked before it has any credential.
 * Always with a personal token; through the OIDC provider too (authorization code with PKCE, the token
 * endpoint called from the page) when the runtime has one configured.
 */

export const AUTH_CONFIG_PATH = '/auth/config';

/** The provider's side of the page's sign-in: who it is, the page's client id and where to send the person. */
export interface OidcSignIn {
  issuer: string;
  clientId: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  scopes: readonly string[];
}

/**
 * What the runtime knows of sign-in. `oidc` reads the provider's endpoints (its discovery document, read
 * once and kept); it rejects when the provider cannot be reached, and the page then offers tokens only.
 */
export interface SignInDeps {
  oidc?: () => Promise<OidcSignIn>;
}

export const AuthConfig = z
  .object({
    oidc: z
      .object({
        issuer: z.string(),
        client_id: z.string(),
        authorization_endpoint: z.string(),
        token_endpoint: z.string(),
        scopes: z.array(z.string()),
      })
      .nullable()
      .openapi({
        description:
          'The OIDC provider the page signs in through (authorization code with PKCE, S256); null: personal tokens only.',
      }),
  })
  .openapi('AuthConfig');

const authConfigRoute = createRoute({
  method: 'get',
  path: AUTH_CONFIG_PATH,
  summary: 'How the web page signs in: a personal token, or the OIDC provider when configured (public)',
  responses: {
    200: json(AuthConfig, 'The OIDC provider, or null'),
    431: HEADERS_TOO_LARGE,
    503: json(
      UnavailableError,
      'The OIDC provider is configured but its discovery document could not be read',
    ),
  },
});

export const signInApi = (deps: SignInDeps = {}) =>
  apiRoutes().openapi(authConfigRoute, async (c) => {
    if (!deps.oidc) return c.json({ oidc: null }, 200);
    let oidc: OidcSignIn;
    try {
      oidc = await deps.oidc();
    } catch {
      return c.json(
        {
          error: 'unavailable' as const,
          message: 'the OIDC provider could not be reached; sign in with a personal token, or try again',
        },
        503,
      );
    }
    return c.json(
      {
        oidc: {
          issuer: oidc.issuer,
          client_id: oidc.clientId,
          authorization_endpoint: oidc.authorizationEndpoint,
          token_endpoint: oidc.tokenEndpoint,
          scopes: [...oidc.scopes],
        },
      },
      200,
    );
  });

export type SignInApi = ReturnType<typeof signInApi>;
