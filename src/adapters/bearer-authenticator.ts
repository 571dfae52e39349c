import type { Authentication, Authenticator, AuthRequest } from '../ports.js';

/** The credential of `Authorization: Bearer <credential>`, or undefined when there is none. */
export function bearerToken(request: AuthRequest): string | undefined {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.header('authorization') ?? '')?.[1];
}

/** Longest JWT read: real ones are a few kilobytes; nothing longer is decoded or verified. */
const MAX_JWT = 16 * 1024;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * A JWT: three base64url parts whose first is a JSON header naming an `alg`. Personal tokens (`rdsp_...`)
 * have no dots, and an older static token with dots is not taken for one unless its first part decodes so.
 */
export function isJwt(credential: string): boolean {
  if (!JWT_SHAPE.test(credential)) return false;
  try {
    const header: unknown = JSON.parse(
      Buffer.from(credential.split('.')[0] ?? '', 'base64url').toString('utf8'),
    );
    return (
      typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

/**
 * One authenticator for bearer credentials: a JWT goes to the OIDC authenticator when one is configured,
 * any other bearer to the token authenticator (personal tokens over the token store).
 */
export class BearerAuthenticator implements Authenticator {
  constructor(
    private readonly tokens: Authenticator,
    private readonly oidc?: Authenticator,
  ) {}

  async authenticate(request: AuthRequest): Promise<Authentication> {
    const credential = bearerToken(request);
    if (credential === undefined || !isJwt(credential)) return this.tokens.authenticate(request);
    if (credential.length > MAX_JWT)
      return { ok: false, reason: `the JWT is longer than ${MAX_JWT} characters` };
    if (this.oidc) return this.oidc.authenticate(request);
    return {
      ok: false,
      reason: 'a JWT was sent, but this server accepts no JWTs (no OIDC issuer is configured)',
    };
  }
}
