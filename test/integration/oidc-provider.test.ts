import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { oidcProviderPerSuite } from '../support/oidc-provider.js';

const REDIRECT = 'http://127.0.0.1:9/signed-in';

async function jwks(uri: string) {
  return createLocalJWKSet((await (await fetch(uri)).json()) as JSONWebKeySet);
}

/** Starts the code flow as a browser would; answers the provider's redirect target. */
async function authorize(authorizationEndpoint: string, params: Record<string, string>) {
  const answer = await fetch(`${authorizationEndpoint}?${new URLSearchParams(params)}`, {
    redirect: 'manual',
  });
  return { status: answer.status, location: answer.headers.get('location') };
}

describe('the test OIDC provider', () => {
  const suite = oidcProviderPerSuite();

  it('publishes discovery and a JWKS whose keys verify what it issues (RS256 and ES256)', async () => {
    const { idp } = suite;
    const discovery = (await (await fetch(idp.discoveryUri)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: idp.issuer,
      jwks_uri: idp.jwksUri,
      authorization_endpoint: idp.authorizationEndpoint,
      token_endpoint: idp.tokenEndpoint,
      code_challenge_methods_supported: ['S256'],
    });
    for (const alg of ['RS256', 'ES256'] as const) {
      const jwt = await idp.issue({ sub: 'bob', roles: ['approver'] }, { alg });
      const { payload, protectedHeader } = await jwtVerify(jwt, await jwks(idp.jwksUri), {
        issuer: idp.issuer,
        audience: idp.audience,
      });
      expect(protectedHeader.alg).toBe(alg);
      expect(payload).toMatchObject({ sub: 'bob', roles: ['approver'] });
    }
  });

  it('rotates: the new key signs and is published; the old one is dropped unless kept', async () => {
    const { idp } = suite;
    const before = idp.keys.find((k) => k.alg === 'RS256');
    const kept = await idp.rotate({ keep: true });
    expect(idp.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([kept.kid, before?.kid]));
    expect(decodeProtectedHeader(await idp.issue()).kid).toBe(kept.kid);
    const fresh = await idp.rotate();
    expect(idp.keys.filter((k) => k.alg === 'RS256')).toEqual([fresh]);
    const fetchesBefore = idp.jwksFetches;
    await jwtVerify(await idp.issue(), await jwks(idp.jwksUri));
    expect(idp.jwksFetches).toBe(fetchesBefore + 1);
  });

  it('signs with a key it does not publish when asked', async () => {
    const { idp } = suite;
    const jwt = await idp.issue({}, { unpublished: true });
    expect(idp.keys.map((k) => k.kid)).not.toContain(decodeProtectedHeader(jwt).kid);
    await expect(jwtVerify(jwt, await jwks(idp.jwksUri))).rejects.toThrow();
  });

  it('runs the authorization code flow with PKCE, the test choosing who signs in', async () => {
    const { idp } = suite;
    idp.signInAs({ sub: 'carol', roles: 'admin' });
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const codeFor = async (extra: Record<string, string> = {}) => {
      const { status, location } = await authorize(idp.authorizationEndpoint, {
        response_type: 'code',
        client_id: idp.clientId,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        nonce: 'n0nce',
        ...extra,
      });
      expect(status).toBe(302);
      const back = new URL(location ?? '');
      expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
      return { code: back.searchParams.get('code') ?? '', state: back.searchParams.get('state') };
    };
    const exchange = (body: Record<string, string>) =>
      fetch(idp.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://127.0.0.1:9' },
        body: new URLSearchParams(body),
      });
    const grant = { grant_type: 'authorization_code', client_id: idp.clientId, redirect_uri: REDIRECT };

    const first = await codeFor({ state: 'st8', scope: 'openid' });
    expect(first.state).toBe('st8');
    const wrong = await exchange({
      ...grant,
      code: first.code,
      code_verifier: randomBytes(32).toString('base64url'),
    });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9');
    // The code was spent by the failed attempt: it is good once.
    expect((await exchange({ ...grant, code: first.code, code_verifier: verifier })).status).toBe(400);
    const elsewhere = { ...grant, code: (await codeFor()).code, redirect_uri: `${REDIRECT}x` };
    expect((await exchange({ ...elsewhere, code_verifier: verifier })).status).toBe(400);

    const ok = await exchange({ ...grant, code: (await codeFor()).code, code_verifier: verifier });
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as { access_token: string; id_token: string; token_type: string };
    expect(tokens.token_type).toBe('Bearer');
    const keys = await jwks(idp.jwksUri);
    const access = await jwtVerify(tokens.access_token, keys, { issuer: idp.issuer, audience: idp.audience });
    expect(access.payload).toMatchObject({ sub: 'carol', roles: 'admin' });
    const id = await jwtVerify(tokens.id_token, keys, { issuer: idp.issuer, audience: idp.clientId });
    expect(id.payload.nonce).toBe('n0nce');
  });

  it('refuses plain PKCE, an unknown client and an unregistered redirect; nobody signed in is access_denied', async () => {
    const { idp } = suite;
    const base = {
      response_type: 'code',
      client_id: idp.clientId,
      redirect_uri: REDIRECT,
      code_challenge: 'x',
    };
    const plain = await authorize(idp.authorizationEndpoint, { ...base, code_challenge_method: 'plain' });
    expect(new URL(plain.location ?? '').searchParams.get('error')).toBe('invalid_request');
    expect((await authorize(idp.authorizationEndpoint, { ...base, client_id: 'other' })).status).toBe(400);
    const away = await authorize(idp.authorizationEndpoint, {
      ...base,
      redirect_uri: 'https://evil.example/',
    });
    expect(away.status).toBe(400);
    idp.signInAs(null);
    const denied = await authorize(idp.authorizationEndpoint, { ...base, code_challenge_method: 'S256' });
    expect(new URL(denied.location ?? '').searchParams.get('error')).toBe('access_denied');
    idp.signInAs({ sub: 'alice' });
  });

  it('answers a CORS preflight for /token', async () => {
    const { idp } = suite;
    const answer = await fetch(idp.tokenEndpoint, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:9',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9');
    expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
  });
});
