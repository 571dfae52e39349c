import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { BearerAuthenticator } from '../../src/adapters/bearer-authenticator.js';
import { openDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteTokenStore } from '../../src/adapters/local/sqlite-token-store.js';
import { TokenAuthenticator } from '../../src/adapters/local/token-auth.js';
import { OidcAuthenticator, type OidcVerifierSettings } from '../../src/adapters/oidc/oidc-authenticator.js';
import { newTokenId, tokenDigest } from '../../src/app/tokens.js';
import type { AccessPolicy, Policy } from '../../src/domain/policy.js';
import type { Authentication } from '../../src/ports.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import {
  type OidcProvider,
  oidcProviderPerSuite,
  startOidcProvider,
  tamper,
} from '../support/oidc-provider.js';
import { tempDir, waitFor } from '../support/server.js';

/**
 * Bearer JWTs from an OIDC provider, verified against the JWKS the test provider serves: who the caller is
 * (the configured claim), the role (the policy's principals, else the role claim, else default_role), and
 * every JWT that must not pass refused with the reason in plain words, never the JWT.
 */

const { policy: packaged } = loadPolicyFile();
const withAccess = (access: Partial<AccessPolicy> = {}): Policy => ({
  ...packaged,
  access: { default_role: 'requester', principals: [], ...access },
});

const bearer = (token: string) => ({
  header: (name: string) => (name.toLowerCase() === 'authorization' ? `Bearer ${token}` : undefined),
});

function verifier(idp: OidcProvider, settings: Partial<OidcVerifierSettings> = {}, policy = withAccess()) {
  return new OidcAuthenticator(
    { issuer: idp.issuer, audience: idp.audience, userClaim: 'sub', roleClaim: 'roles', ...settings },
    policy,
  );
}

const principalOf = (result: Authentication) => (result.ok ? result.principal : result);

describe('OIDC bearer JWTs: who the caller is and their role', () => {
  const suite = oidcProviderPerSuite();

  it('takes a JWT signed by the issuer (RS256 and ES256) as the subject, with the highest role claimed', async () => {
    const { idp } = suite;
    const auth = verifier(idp);
    for (const alg of ['RS256', 'ES256'] as const) {
      const jwt = await idp.issue({ sub: 'alice', roles: ['requester', 'admin', 'approver'] }, { alg });
      expect(principalOf(await auth.authenticate(bearer(jwt)))).toEqual({
        id: 'alice',
        role: 'admin',
        environments: null,
        via: 'oidc',
      });
    }
  });

  it.each([
    ['one role as a string', 'approver', 'approver'],
    ['no role claim: the policy default', undefined, 'requester'],
    ['only unknown roles: the policy default', ['dba', 'owner'], 'requester'],
    ['the pipeline role cannot be claimed', ['pipeline'], 'requester'],
  ])('role claim: %s', async (_, roles, role) => {
    const { idp } = suite;
    const jwt = await idp.issue({ sub: 'bob', ...(roles === undefined ? {} : { roles }) });
    expect(principalOf(await verifier(idp).authenticate(bearer(jwt)))).toMatchObject({ id: 'bob', role });
  });

  it("the policy's principals entry wins over the role claim, scope included", async () => {
    const { idp } = suite;
    const policy = withAccess({ principals: [{ id: 'carol', role: 'approver', environments: ['dev'] }] });
    const jwt = await idp.issue({ sub: 'carol', roles: 'admin' });
    expect(principalOf(await verifier(idp, {}, policy).authenticate(bearer(jwt)))).toEqual({
      id: 'carol',
      role: 'approver',
      environments: ['dev'],
      via: 'oidc',
    });
  });

  it('with default_role null and no role claimed, the caller is known but holds no role (forbidden)', async () => {
    const { idp } = suite;
    const jwt = await idp.issue({ sub: 'dave' });
    expect(await verifier(idp, {}, withAccess({ default_role: null })).authenticate(bearer(jwt))).toEqual({
      ok: false,
      forbidden: true,
      actor: 'dave',
      reason: expect.stringContaining('dave holds no role'),
    });
  });

  it('reads the identity and the roles from the configured claims (a dotted path reaches a nested one)', async () => {
    const { idp } = suite;
    const auth = verifier(idp, { userClaim: 'email', roleClaim: 'realm_access.roles' });
    const jwt = await idp.issue({
      sub: 'x1',
      email: 'erin@example.com',
      realm_access: { roles: ['approver'] },
    });
    expect(principalOf(await auth.authenticate(bearer(jwt)))).toMatchObject({
      id: 'erin@example.com',
      role: 'approver',
    });
    const namespaced = verifier(idp, { roleClaim: 'https://example.com/roles' });
    const withUrlClaim = await idp.issue({ sub: 'x2', 'https://example.com/roles': 'admin' });
    expect(principalOf(await namespaced.authenticate(bearer(withUrlClaim)))).toMatchObject({ role: 'admin' });
  });

  it.each([
    ['missing', {}, 'the JWT has no email claim'],
    [
      'not a string',
      { email: 42 },
      "the JWT's email claim must be a printable string of at most 200 characters",
    ],
    ['empty', { email: '' }, "the JWT's email claim must be a printable string of at most 200 characters"],
    [
      'with a control character',
      { email: 'a\u0000b' },
      "the JWT's email claim must be a printable string of at most 200 characters",
    ],
    [
      'too long',
      { email: 'a'.repeat(201) },
      "the JWT's email claim must be a printable string of at most 200 characters",
    ],
  ])('an identity claim %s is refused (401)', async (_, claims, reason) => {
    const { idp } = suite;
    const jwt = await idp.issue(claims);
    expect(await verifier(idp, { userClaim: 'email' }).authenticate(bearer(jwt))).toEqual({
      ok: false,
      reason,
    });
  });
});

describe('OIDC bearer JWTs that must not pass: 401 with the reason, never the JWT', () => {
  const suite = oidcProviderPerSuite();
  const now = () => Math.floor(Date.now() / 1000);

  const cases: Array<[string, (idp: OidcProvider) => Promise<string> | string, string, string?]> = [
    ['expired', (idp) => idp.issue({ sub: 'alice' }, { expiresIn: -120 }), 'the JWT expired', 'alice'],
    [
      'not yet valid',
      (idp) => idp.issue({ sub: 'alice' }, { notBefore: 600 }),
      'the JWT is not yet valid',
      'alice',
    ],
    [
      'for another audience',
      (idp) => idp.issue({ sub: 'alice' }, { audience: 'another-api' }),
      'the JWT is for another audience',
      'alice',
    ],
    [
      'from another issuer',
      (idp) => idp.issue({ sub: 'alice' }, { issuer: 'https://elsewhere.example' }),
      'the JWT is from another issuer',
      'alice',
    ],
    [
      'without an expiry',
      (idp) => idp.issue({ sub: 'alice', exp: undefined }),
      'the JWT has no expiry (exp)',
      'alice',
    ],
    [
      'signed by a key the issuer does not publish',
      (idp) => idp.issue({ sub: 'alice' }, { unpublished: true }),
      'the JWT was signed by a key the issuer does not publish',
    ],
    [
      'signed by another key under a published kid',
      (idp) => idp.issue({ sub: 'alice' }, { unpublished: true, kid: idp.keys[0]?.kid }),
      'the JWT signature does not verify',
    ],
    [
      'unsigned (alg none)',
      (idp) => idp.forge.none({ sub: 'alice' }),
      'the JWT is signed with an algorithm not accepted (accepted: RS256, ES256, PS256, EdDSA)',
    ],
    [
      'HS256 with the public key as the secret',
      (idp) => idp.forge.hmacWithPublicKey({ sub: 'alice' }),
      'the JWT is signed with an algorithm not accepted (accepted: RS256, ES256, PS256, EdDSA)',
    ],
    [
      'with a tampered payload',
      async (idp) => tamper(await idp.issue({ sub: 'alice', roles: 'requester' }), { roles: 'admin' }),
      'the JWT signature does not verify',
    ],
    [
      'with a tampered expiry',
      async (idp) => tamper(await idp.issue({ sub: 'alice' }, { expiresIn: -60 }), { exp: now() + 600 }),
      'the JWT signature does not verify',
    ],
    ['malformed', () => 'bm90IGpzb24.eyJzdWIiOiJhIn0.c2ln', 'the JWT is malformed'],
  ];

  it.each(cases)('a JWT %s', async (_, make, reason, actor) => {
    const { idp } = suite;
    const jwt = await make(idp);
    const result = await verifier(idp).authenticate(bearer(jwt));
    expect(result).toEqual({ ok: false, reason, ...(actor ? { actor } : {}) });
    expect(JSON.stringify(result)).not.toContain(jwt.split('.')[2] || jwt);
  });

  it('within the clock tolerance (30 s) a JWT just expired or just about to be valid still passes', async () => {
    const { idp } = suite;
    const auth = verifier(idp);
    expect((await auth.authenticate(bearer(await idp.issue({}, { expiresIn: -10 })))).ok).toBe(true);
    expect((await auth.authenticate(bearer(await idp.issue({}, { notBefore: 10 })))).ok).toBe(true);
  });
});

describe('the issuer keys: discovered, cached, refetched on rotation, fetched within bounds', () => {
  it('discovers jwks_uri once and fetches the JWKS once for many requests', async () => {
    const idp = await startOidcProvider();
    try {
      const auth = verifier(idp);
      const jwt = await idp.issue({ sub: 'alice' });
      for (let i = 0; i < 25; i += 1) expect((await auth.authenticate(bearer(jwt))).ok).toBe(true);
      const es = await idp.issue({ sub: 'alice' }, { alg: 'ES256' });
      expect((await auth.authenticate(bearer(es))).ok).toBe(true);
      expect({ discovery: idp.discoveryFetches, jwks: idp.jwksFetches }).toEqual({ discovery: 1, jwks: 1 });
    } finally {
      await idp.stop();
    }
  });

  it('with jwks_uri given, discovery is not asked', async () => {
    const idp = await startOidcProvider();
    try {
      const auth = verifier(idp, { jwksUri: idp.jwksUri });
      expect((await auth.authenticate(bearer(await idp.issue()))).ok).toBe(true);
      expect({ discovery: idp.discoveryFetches, jwks: idp.jwksFetches }).toEqual({ discovery: 0, jwks: 1 });
    } finally {
      await idp.stop();
    }
  });

  it('after a rotation the new key verifies (the JWKS refetched once), the dropped key no longer does', async () => {
    const idp = await startOidcProvider();
    try {
      const auth = verifier(idp, { keyRefetchCooldownMs: 0 });
      const old = await idp.issue({ sub: 'alice' });
      const unseen = await idp.issue({ sub: 'bob' });
      expect((await auth.authenticate(bearer(old))).ok).toBe(true);
      expect(idp.jwksFetches).toBe(1);
      await idp.rotate();
      const fresh = await idp.issue({ sub: 'alice' });
      for (let i = 0; i < 10; i += 1) expect((await auth.authenticate(bearer(fresh))).ok).toBe(true);
      expect(idp.jwksFetches).toBe(2);
      const unknown = await idp.issue({ sub: 'mallory' }, { unpublished: true });
      expect(await auth.authenticate(bearer(unknown))).toMatchObject({
        ok: false,
        reason: 'the JWT was signed by a key the issuer does not publish',
      });
      // Signed by the dropped key and never seen before: refused.
      expect(await auth.authenticate(bearer(unseen))).toMatchObject({
        ok: false,
        reason: 'the JWT was signed by a key the issuer does not publish',
      });
    } finally {
      await idp.stop();
    }
  });

  it('a JWT verified once is not verified again for a minute (a dropped key included), and never past its exp', async () => {
    const idp = await startOidcProvider();
    try {
      const auth = verifier(idp, { keyRefetchCooldownMs: 0, clockToleranceSeconds: 0 });
      const seen = await idp.issue({ sub: 'alice', roles: 'approver' }, { expiresIn: 2 });
      expect(principalOf(await auth.authenticate(bearer(seen)))).toMatchObject({
        id: 'alice',
        role: 'approver',
      });
      await idp.rotate();
      expect((await auth.authenticate(bearer(await idp.issue()))).ok).toBe(true);
      expect(idp.jwksFetches).toBe(2);
      // Its verification is remembered: the key that signed it is gone, it still passes, nothing fetched.
      expect(principalOf(await auth.authenticate(bearer(seen)))).toMatchObject({
        id: 'alice',
        role: 'approver',
      });
      expect(idp.jwksFetches).toBe(2);
      await waitFor(
        async () => Date.now(),
        (now) => now > ((decodeJwt(seen).exp ?? 0) + 1) * 1000,
      );
      expect(await auth.authenticate(bearer(seen))).toMatchObject({ ok: false });
      // Without the remembered verifications, the dropped key is refused at once.
      const forgetful = verifier(idp, { verifiedCacheMs: 0, keyRefetchCooldownMs: 0 });
      const again = await idp.issue({ sub: 'carol' });
      expect((await forgetful.authenticate(bearer(again))).ok).toBe(true);
      await idp.rotate();
      expect((await forgetful.authenticate(bearer(await idp.issue()))).ok).toBe(true);
      expect((await forgetful.authenticate(bearer(again))).ok).toBe(false);
    } finally {
      await idp.stop();
    }
  });

  it('a stranger sending JWTs with unknown keys makes at most one refetch within the cooldown', async () => {
    const idp = await startOidcProvider();
    try {
      const auth = verifier(idp);
      expect((await auth.authenticate(bearer(await idp.issue()))).ok).toBe(true);
      for (let i = 0; i < 10; i += 1) {
        const forged = await idp.issue({ sub: `stranger-${i}` }, { unpublished: true, kid: `k${i}` });
        expect((await auth.authenticate(bearer(forged))).ok).toBe(false);
      }
      expect(idp.jwksFetches).toBe(1);
    } finally {
      await idp.stop();
    }
  });

  it('a JWKS that takes too long or is too large is not waited for or read whole (401, the reason)', async () => {
    const idp = await startOidcProvider();
    try {
      idp.setJwksFault({ delayMs: 5_000 });
      const slow = verifier(idp, { jwksUri: idp.jwksUri, fetchTimeoutMs: 200 });
      expect(await slow.authenticate(bearer(await idp.issue()))).toEqual({
        ok: false,
        reason: "the issuer's keys could not be fetched in time",
      });
      idp.setJwksFault({ padBytes: 300_000 });
      const large = verifier(idp, { jwksUri: idp.jwksUri, maxDocumentBytes: 64 * 1024 });
      expect(await large.authenticate(bearer(await idp.issue()))).toEqual({
        ok: false,
        reason: "the issuer's keys could not be fetched: the answer is larger than 65536 bytes",
      });
      idp.setJwksFault({});
      expect((await large.authenticate(bearer(await idp.issue()))).ok).toBe(true);
    } finally {
      await idp.stop();
    }
  });

  it('an issuer that cannot be reached is a 401 naming it, and the next request tries again', async () => {
    const idp = await startOidcProvider();
    const { issuer } = idp;
    const jwt = await idp.issue();
    await idp.stop();
    const auth = new OidcAuthenticator(
      { issuer, audience: 'rds-provisioner', userClaim: 'sub', roleClaim: 'roles' },
      withAccess(),
    );
    expect(await auth.authenticate(bearer(jwt))).toEqual({
      ok: false,
      reason: "the issuer's discovery document could not be read",
    });
  });
});

describe('the bearer dispatcher: a JWT to OIDC, any other bearer to the tokens', () => {
  const suite = oidcProviderPerSuite();
  const store = new SqliteTokenStore(openDatabase(join(tempDir('oidc-tokens'), 'tokens.db')));
  const tokens = new TokenAuthenticator(store);
  const register = (token: string, user: string) =>
    store.create({
      id: newTokenId(),
      user,
      role: 'admin',
      environments: null,
      digest: tokenDigest(token),
      createdAt: new Date().toISOString(),
      createdBy: 'test',
      revokedAt: null,
      revokedBy: null,
    });

  it('routes by the shape of the bearer', async () => {
    const { idp } = suite;
    await register('rdsp_static', 'admin');
    const auth = new BearerAuthenticator(tokens, verifier(idp));
    expect(principalOf(await auth.authenticate(bearer('rdsp_static')))).toMatchObject({
      id: 'admin',
      via: 'token',
    });
    expect(principalOf(await auth.authenticate(bearer(await idp.issue({ sub: 'alice' }))))).toMatchObject({
      id: 'alice',
      via: 'oidc',
    });
    expect(await auth.authenticate(bearer('rdsp_other'))).toEqual({
      ok: false,
      reason: 'the token is not valid',
    });
    expect(await auth.authenticate({ header: () => undefined })).toMatchObject({ ok: false });
  });

  it('without OIDC configured, a JWT is refused saying so', async () => {
    const { idp } = suite;
    const auth = new BearerAuthenticator(tokens);
    expect(await auth.authenticate(bearer(await idp.issue()))).toEqual({
      ok: false,
      reason: 'a JWT was sent, but this server accepts no JWTs (no OIDC issuer is configured)',
    });
  });

  it('a token with dots that is not a JWT still goes to the tokens', async () => {
    await register('a.b.c', 'old');
    const auth = new BearerAuthenticator(tokens, verifier(suite.idp));
    expect(principalOf(await auth.authenticate(bearer('a.b.c')))).toMatchObject({ id: 'old' });
  });

  it('a JWT longer than 16 KiB is refused unread', async () => {
    const { idp } = suite;
    const jwt = await idp.issue({ sub: 'alice', padding: 'x'.repeat(17_000) });
    const fetches = idp.jwksFetches;
    expect(await new BearerAuthenticator(tokens, verifier(idp)).authenticate(bearer(jwt))).toEqual({
      ok: false,
      reason: 'the JWT is longer than 16384 characters',
    });
    expect(idp.jwksFetches).toBe(fetches);
  });
});
