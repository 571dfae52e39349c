import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../../domain/access.js';
import type { Authentication, Authenticator, AuthRequest } from '../../ports.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Bearer tokens mapped to identities. Tokens are compared as SHA-256 digests in constant time, so
 * neither their length nor their content leaks through timing.
 */
export class TokenAuthenticator implements Authenticator {
  private readonly entries: Array<{ digest: Buffer; principal: Principal }>;

  constructor(tokens: ReadonlyArray<{ token: string; principal: Principal }>) {
    this.entries = tokens.map(({ token, principal }) => ({ digest: digest(token), principal }));
  }

  async authenticate(request: AuthRequest): Promise<Authentication> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.header('authorization') ?? '');
    if (!match) return { ok: false, reason: 'a bearer token is required' };
    const presented = digest(match[1] as string);
    let principal: Principal | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) principal = entry.principal;
    }
    return principal ? { ok: true, principal } : { ok: false, reason: 'the token is not valid' };
  }
}
