/**
 * Who the credentials are, served in this module. GET /user ("Get the authenticated user") answers a user
 * token's account; an installation token is refused there (403 "Resource not accessible by integration"),
 * as GitHub refuses it. GET /app ("Get the authenticated app") answers a GitHub App, and only to the app's
 * JSON Web Token (RS256, `iss` the app id, not expired); anything else gets 401 "A JSON web token could not
 * be decoded". An app's installation acts as its bot, `{slug}[bot]`.
 */
import type { SimRepository } from './repository.js';
import { DOCS, type Endpoints, isoSeconds, message, nodeId } from './wire.js';

export interface SimApp {
  id: number;
  slug: string;
}

export const botLogin = (app: SimApp) => `${app.slug}[bot]`;

/** The app as GitHub's "GitHub app" (Integration). */
export function appJson(repo: SimRepository, app: SimApp, createdAt: number) {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId('03:App', app.id),
    client_id: `Iv1.${app.id.toString(16).padStart(16, '0')}`,
    owner: repo.user(repo.owner),
    name: app.slug,
    description: null,
    external_url: `${repo.htmlUrl()}`,
    html_url: `${new URL(repo.htmlUrl()).origin}/apps/${app.slug}`,
    created_at: isoSeconds(createdAt),
    updated_at: isoSeconds(createdAt),
    permissions: { contents: 'write', issues: 'write', metadata: 'read', pull_requests: 'write' },
    events: [],
  };
}

/** Why a bearer token is not the app's JWT, or null when it is. */
export function appJwtProblem(token: string, app: SimApp, now = Date.now()): string | null {
  const parts = token.split('.');
  if (parts.length !== 3) return 'not a JWT';
  try {
    const header = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString('utf8'));
    const claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'));
    if (header.alg !== 'RS256') return `alg ${header.alg}`;
    if (String(claims.iss) !== String(app.id)) return `iss ${claims.iss}`;
    if (!(Number(claims.exp) * 1000 > now)) return 'expired';
    return null;
  } catch {
    return 'not a JWT';
  }
}

export function identityEndpoints(
  repo: SimRepository,
  identity: { login: string; app?: SimApp; createdAt: number },
): Endpoints {
  return {
    'users/get-authenticated': () => {
      if (identity.app) {
        return message(
          403,
          'Resource not accessible by integration',
          `${DOCS}/users/users#get-the-authenticated-user`,
        );
      }
      const when = isoSeconds(identity.createdAt);
      return {
        status: 200,
        body: {
          ...(repo.user(identity.login) as Record<string, unknown>),
          name: identity.login,
          company: null,
          blog: '',
          location: null,
          email: null,
          hireable: null,
          bio: null,
          public_repos: 0,
          public_gists: 0,
          followers: 0,
          following: 0,
          created_at: when,
          updated_at: when,
        },
      };
    },

    // Reached only with the app's JWT (the simulator's authentication step checks it).
    'apps/get-authenticated': () => ({
      status: 200,
      body: appJson(repo, identity.app as SimApp, identity.createdAt),
    }),
  };
}
