import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { type OidcProvider, startOidcProvider, tamper } from '../support/oidc-provider.js';
import { api, serverPerSuite, tempDir, waitFor } from '../support/server.js';

/**
 * Bearer JWTs on the local runtime: the built server started with RDS_PROVISIONER_OIDC_ISSUER and
 * _AUDIENCE pointing at the test provider (discovery, JWKS). A person signed in at the provider asks for a
 * database as themselves; every JWT that must not pass is a 401 with the reason in plain words, never the
 * JWT, recorded in the audit trail; the JWKS is fetched once, not per request.
 */

const idp: OidcProvider = await startOidcProvider();
afterAll(() => idp.stop());

const now = () => Math.floor(Date.now() / 1000);

const BAD_JWTS: Array<[string, () => Promise<string> | string, string, string]> = [
  ['expired', () => idp.issue({ sub: 'alice' }, { expiresIn: -120 }), 'the JWT expired', 'alice'],
  [
    'not yet valid',
    () => idp.issue({ sub: 'alice' }, { notBefore: 600 }),
    'the JWT is not yet valid',
    'alice',
  ],
  [
    'for another audience',
    () => idp.issue({ sub: 'alice' }, { audience: 'another-api' }),
    'the JWT is for another audience',
    'alice',
  ],
  [
    'from another issuer',
    () => idp.issue({ sub: 'alice' }, { issuer: 'https://elsewhere.example' }),
    'the JWT is from another issuer',
    'alice',
  ],
  [
    'signed by a key the issuer does not publish',
    () => idp.issue({ sub: 'mallory' }, { unpublished: true }),
    'the JWT was signed by a key the issuer does not publish',
    '(unauthenticated)',
  ],
  [
    'unsigned (alg none)',
    () => idp.forge.none({ sub: 'mallory', roles: 'admin' }),
    'the JWT is signed with an algorithm not accepted (accepted: RS256, ES256, PS256, EdDSA)',
    '(unauthenticated)',
  ],
  [
    'HS256 with the public key as the secret',
    () => idp.forge.hmacWithPublicKey({ sub: 'mallory', roles: 'admin' }),
    'the JWT is signed with an algorithm not accepted (accepted: RS256, ES256, PS256, EdDSA)',
    '(unauthenticated)',
  ],
  [
    'with a tampered payload (requester made admin)',
    async () => tamper(await idp.issue({ sub: 'alice', roles: 'requester' }), { roles: 'admin' }),
    'the JWT signature does not verify',
    '(unauthenticated)',
  ],
  [
    'with a tampered expiry',
    async () => tamper(await idp.issue({ sub: 'alice' }, { expiresIn: -60 }), { exp: now() + 600 }),
    'the JWT signature does not verify',
    '(unauthenticated)',
  ],
];

describe('OIDC bearer JWTs on the local runtime', { timeout: 120_000 }, () => {
  const suite = serverPerSuite({
    env: { RDS_PROVISIONER_OIDC_ISSUER: idp.issuer, RDS_PROVISIONER_OIDC_AUDIENCE: idp.audience },
  });
  const withJwt = (jwt: string) => api({ url: suite.server.url, token: jwt });
  const sent: string[] = [];
  const started = new Date().toISOString();

  it('a person signed in at the provider is who the JWT names, with the role it claims', async () => {
    const jwt = await idp.issue({ sub: 'alice', roles: ['requester'] });
    sent.push(jwt);
    const me = await withJwt(jwt)('GET', '/whoami');
    expect([me.status, me.json]).toEqual([
      200,
      expect.objectContaining({ id: 'alice', role: 'requester', environments: null, via: 'oidc' }),
    ]);
    const accepted = await withJwt(jwt)('POST', '/provision', {
      db_name: 'oidc-orders',
      engine: 'postgres',
      environment: 'dev',
    });
    expect(accepted.status, accepted.text).toBe(202);
    const status = await withJwt(jwt)('GET', `/requests/${accepted.json.request_id}`);
    expect(status.json.requester).toBe('alice');
  });

  it.each(BAD_JWTS)('a JWT %s: 401 with the reason, nothing accepted', async (_, make, reason) => {
    const jwt = await make();
    sent.push(jwt);
    // A few a second at most, so the server's bound on recorded refusals keeps each one (last test).
    await nextSecondIfBusy();
    const refused = await withJwt(jwt)('POST', '/provision', {
      db_name: 'oidc-refused',
      engine: 'postgres',
      environment: 'dev',
    });
    expect([refused.status, refused.json]).toEqual([401, { error: 'unauthorized', message: reason }]);
    expect(refused.text).not.toContain(jwt);
  });

  it('nothing refused was accepted, and every refusal is in the audit trail, naming who when the JWT verified', async () => {
    const call = suite.call;
    const requests = (await call('GET', '/requests')).json.requests as Array<{ db_name: string }>;
    expect(requests.map((r) => r.db_name)).toEqual(['oidc-orders']);
    const refusals = await waitFor(
      async () =>
        (await call('GET', `/audit?action=auth.refused&since=${encodeURIComponent(started)}&limit=100`)).json
          .entries as Array<{ actor: string; detail: string; outcome: string }>,
      (entries) => entries.length >= BAD_JWTS.length,
    );
    expect(refusals.map(({ actor, detail, outcome }) => ({ actor, detail, outcome })).reverse()).toEqual(
      BAD_JWTS.map(([, , reason, actor]) => ({ actor, detail: reason, outcome: 'denied' })),
    );
  });

  it('the JWKS was fetched once for all these JWTs, and no JWT is in the server output or the trail', async () => {
    expect(idp.discoveryFetches).toBe(1);
    // Once; twice only if the run took longer than the 30 s cooldown before the unknown key came.
    expect(idp.jwksFetches).toBeLessThanOrEqual(2);
    const trail = (await suite.call('GET', '/audit?limit=200')).text;
    for (const jwt of sent) {
      const signature = jwt.split('.')[2] || jwt;
      expect(suite.server.output.join('\n')).not.toContain(signature);
      expect(trail).not.toContain(signature);
    }
  });
});

let second = 0;
let inSecond = 0;
/** Waits for the next wall-clock second once three calls went in this one. */
async function nextSecondIfBusy() {
  const current = Math.floor(Date.now() / 1000);
  if (current !== second) [second, inSecond] = [current, 0];
  if (inSecond >= 3) {
    await waitFor(
      async () => Math.floor(Date.now() / 1000),
      (s) => s > current,
    );
    [second, inSecond] = [Math.floor(Date.now() / 1000), 0];
  }
  inSecond += 1;
}

describe('OIDC settings that cannot serve', { timeout: 60_000 }, () => {
  it.each([
    [
      'an http issuer off loopback',
      { RDS_PROVISIONER_OIDC_ISSUER: 'http://login.example.com', RDS_PROVISIONER_OIDC_AUDIENCE: 'api' },
      'OIDC settings: RDS_PROVISIONER_OIDC_ISSUER: must be an https URL (http only on localhost, 127.0.0.1 or [::1]), without query or fragment\n',
    ],
    [
      'an issuer without an audience',
      { RDS_PROVISIONER_OIDC_ISSUER: 'https://login.example.com' },
      'OIDC settings: RDS_PROVISIONER_OIDC_AUDIENCE: required with an issuer (the audience the JWTs are issued for: this API)\n',
    ],
  ])('%s: serve stops at once naming the variable, nothing made', async (_, env, message) => {
    const dataDir = join(tempDir('oidc-bad'), 'data');
    const run = await runCli(['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], { env });
    expect([run.code, run.stderr]).toEqual([2, message]);
    expect(existsSync(dataDir)).toBe(false);
  });
});
