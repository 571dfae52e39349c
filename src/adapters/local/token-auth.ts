import { createHash, timingSafeEqual } from 'node:crypto';
import type { Authenticator, AuthRequest } from '../../ports.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Bearer tokens mapped to identities. Tokens are compared as SHA-256 digests in constant time, so
 * neither their length nor their content leaks through timing.
 */
export class TokenAuthenticator implements Authenticator {
  private readonly entries: Array<{ digest: Buffer; identity: string }>;

  constructor(tokens: ReadonlyArray<{ token: string; identity: string }>) {
    this.entries = tokens.map(({ token, identity }) => ({ digest: digest(token), identity }));
  }

  async authenticate(request: AuthRequest): Promise<string | null> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.header('authorization') ?? '');
    if (!match) return null;
    const presented = digest(match[1] as string);
    let identity: string | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) identity = entry.identity;
    }
    return identity;
  }
}
