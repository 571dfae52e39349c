import { timingSafeEqual } from 'node:crypto';
import { tokenDigest } from '../../app/tokens.js';
import type { Authentication, Authenticator, AuthRequest, TokenStore } from '../../ports.js';

/**
 * Longest Authorization header read: a personal token is `rdsp_` and 43 characters and a token given by
 * a variable is rarely longer; nothing longer is hashed or looked up.
 */
const MAX_HEADER = 1024;

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

const refused = (reason: string): Authentication => ({ ok: false, reason });

/**
 * Personal API tokens over the token store. The presented token's SHA-256 digest is looked up, then
 * compared with the stored one in constant time (the look-up runs on a digest, which tells a timing
 * observer nothing of the token; the comparison, not the index, decides). The record is read on every
 * call, never cached, so a revoked token loses access at once.
 */
export class TokenAuthenticator implements Authenticator {
  constructor(private readonly tokens: TokenStore) {}

  async authenticate(request: AuthRequest): Promise<Authentication> {
    const header = request.header('authorization');
    if (!header) return refused('a bearer token is required (Authorization: Bearer <token>)');
    if (header.length > MAX_HEADER)
      return refused(`the Authorization header is longer than ${MAX_HEADER} characters`);
    const token = BEARER.exec(header)?.[1];
    if (token === undefined)
      return refused(
        /^Bearer\b/i.test(header)
          ? 'the bearer token is missing or malformed: one token, without spaces, after "Bearer "'
          : 'the Authorization header must be "Bearer <token>"',
      );
    const digest = tokenDigest(token);
    const record = await this.tokens.byDigest(digest);
    const presented = Buffer.from(digest, 'hex');
    const stored = Buffer.from(record?.digest ?? '', 'hex');
    if (!record || stored.length !== presented.length || !timingSafeEqual(stored, presented))
      return refused('the token is not valid');
    if (record.revokedAt !== null) return { ok: false, reason: 'the token was revoked', actor: record.user };
    return {
      ok: true,
      principal: {
        id: record.user,
        role: record.role,
        environments: record.environments,
        via: 'token',
        tokenId: record.id,
      },
    };
  }
}
