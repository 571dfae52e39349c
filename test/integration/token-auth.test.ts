/**
 * The local runtime's token authenticator over the real token store (SQLite): a bearer token's digest
 * looked up, compared in constant time, its record read on every call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteTokenStore } from '../../src/adapters/local/sqlite-token-store.js';
import { TokenAuthenticator } from '../../src/adapters/local/token-auth.js';
import { tokenDigest } from '../../src/app/tokens.js';
import type { AuthRequest, TokenRecord, TokenStore } from '../../src/ports.js';

const TOKEN = 'rdsp_4f0Jm2cQy9XvWm1pR8sT3uV6wX9yZ0aB1cD2eF3gH4i';

const bearer = (token: string): AuthRequest => ({
  header: (name) => (name === 'authorization' ? `Bearer ${token}` : undefined),
});
const withHeader = (value: string | undefined): AuthRequest => ({
  header: (name) => (name === 'authorization' ? value : undefined),
});

function record(token: string, fields: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: 'tok_AAAAAAAAAAAAAAAA',
    user: 'alice',
    role: 'approver',
    environments: ['dev'],
    digest: tokenDigest(token),
    createdAt: '2025-01-01T00:00:00.000Z',
    createdBy: 'admin',
    revokedAt: null,
    revokedBy: null,
    ...fields,
  };
}

let dir: string;
let db: SqliteDatabase;
let store: SqliteTokenStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rds-token-auth-'));
  db = openDatabase(join(dir, 'service.db'));
  store = new SqliteTokenStore(db);
  await store.create(record(TOKEN));
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TokenAuthenticator over the token store', () => {
  it('authenticates a stored token as its user, role and environments, naming the token', async () => {
    const auth = new TokenAuthenticator(store);
    expect(await auth.authenticate(bearer(TOKEN))).toEqual({
      ok: true,
      principal: {
        id: 'alice',
        role: 'approver',
        environments: ['dev'],
        via: 'token',
        tokenId: 'tok_AAAAAAAAAAAAAAAA',
      },
    });
    expect(await auth.authenticate(withHeader(`bearer \t${TOKEN}  `))).toMatchObject({ ok: true });
  });

  it('refuses a revoked token at once, with the same authenticator, naming its user as the actor', async () => {
    const auth = new TokenAuthenticator(store);
    expect(await auth.authenticate(bearer(TOKEN))).toMatchObject({ ok: true });
    await store.revoke('tok_AAAAAAAAAAAAAAAA', new Date(), 'root');
    expect(await auth.authenticate(bearer(TOKEN))).toEqual({
      ok: false,
      reason: 'the token was revoked',
      actor: 'alice',
    });
  });

  it('refuses a wrong token of the same length and one of another length alike', async () => {
    const auth = new TokenAuthenticator(store);
    const sameLength = `${TOKEN.slice(0, -1)}${TOKEN.endsWith('A') ? 'B' : 'A'}`;
    expect(sameLength).toHaveLength(TOKEN.length);
    for (const wrong of [sameLength, `${TOKEN}x`, 'rdsp_short', 'x'])
      expect(await auth.authenticate(bearer(wrong))).toEqual({ ok: false, reason: 'the token is not valid' });
  });

  it('lets the constant-time comparison decide, not the look-up: a record of another digest is refused', async () => {
    // A store that matches loosely (say, a case-insensitive index) must not let a near-miss in.
    const loose: TokenStore = Object.assign(Object.create(store) as TokenStore, {
      byDigest: async () => record(TOKEN),
    });
    const auth = new TokenAuthenticator(loose);
    expect(await auth.authenticate(bearer('rdsp_another-token'))).toEqual({
      ok: false,
      reason: 'the token is not valid',
    });
    const malformed: TokenStore = Object.assign(Object.create(store) as TokenStore, {
      byDigest: async () => record(TOKEN, { digest: 'abc' }),
    });
    expect(await new TokenAuthenticator(malformed).authenticate(bearer(TOKEN))).toEqual({
      ok: false,
      reason: 'the token is not valid',
    });
  });

  it('refuses a missing, non-bearer, malformed or over-long header with a clear reason, reading no record', async () => {
    const byDigest = vi.spyOn(store, 'byDigest');
    const auth = new TokenAuthenticator(store);
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'a bearer token is required (Authorization: Bearer <token>)'],
      ['', 'a bearer token is required (Authorization: Bearer <token>)'],
      [`Basic ${Buffer.from('a:b').toString('base64')}`, 'the Authorization header must be "Bearer <token>"'],
      [TOKEN, 'the Authorization header must be "Bearer <token>"'],
      ['Bearer', 'the bearer token is missing or malformed: one token, without spaces, after "Bearer "'],
      ['Bearer ', 'the bearer token is missing or malformed: one token, without spaces, after "Bearer "'],
      [
        `Bearer ${TOKEN} extra`,
        'the bearer token is missing or malformed: one token, without spaces, after "Bearer "',
      ],
      [`Bearer ${'a'.repeat(5000)}`, 'the Authorization header is longer than 1024 characters'],
    ];
    for (const [header, reason] of cases)
      expect(await auth.authenticate(withHeader(header)), String(header).slice(0, 30)).toEqual({
        ok: false,
        reason,
      });
    expect(byDigest).not.toHaveBeenCalled();
  });
});
