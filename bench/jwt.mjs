// 9. Bearer JWTs on the accept path: POST /provision on the real server (`serve --workers 0`: API only,
// SQLite) authenticated with a JWT from an OIDC provider beside the same server with its static personal
// token, same run, same load generator. The provider is the tests' (test/support/oidc-provider.ts: discovery
// and JWKS on loopback, in this process); the server verifies each JWT against the JWKS it fetched once.
// Each round is a fixed number of requests (bounded on any machine, however slow), the credentials
// interleaved with the order reversed every other round. Server on CPU 1, load generator on CPU 0.
import { join } from 'node:path';
import { openDatabase } from '../dist/adapters/local/sqlite.js';
import { SqliteTokenStore } from '../dist/adapters/local/sqlite-token-store.js';
import { TokenAuthenticator } from '../dist/adapters/local/token-auth.js';
import { OidcAuthenticator } from '../dist/adapters/oidc/oidc-authenticator.js';
import { newToken, newTokenId, tokenDigest } from '../dist/app/tokens.js';
import { policy } from './fixtures.mjs';
import {
  canPin,
  cpuMs,
  fmt,
  mean,
  now,
  percentile,
  ROOT,
  row,
  runNodeJson,
  startServer,
  tempDir,
} from './lib.mjs';
import { allAccepted, loadTally } from './load-tally.mjs';

const SERVER_CPU = 1;
const LOAD_CPU = 0;
const TARGET = 1.2;

/** The tests' identity provider is TypeScript: register the project's hooks, then import it. */
async function loadProvider() {
  await import('../test/support/ts-register.mjs');
  return import('../test/support/oidc-provider.ts');
}

export async function benchJwt({
  connections = 10,
  // Many short rounds rather than a few long ones: on a shared machine a busy spell then falls on every
  // credential alike.
  requests = 1000,
  rounds = 8,
  warmup = 500,
  authCalls = 2000,
} = {}) {
  const { startOidcProvider } = await loadProvider();
  const idp = await startOidcProvider({ lifetime: 3600 });
  const server = await startServer({
    args: ['--workers', '0'],
    cpu: SERVER_CPU,
    env: { RDS_PROVISIONER_OIDC_ISSUER: idp.issuer, RDS_PROVISIONER_OIDC_AUDIENCE: idp.audience },
  });
  // The same role for every credential: the first start's token is the admin's.
  const claims = { sub: 'bench', roles: 'admin' };
  const credentials = {
    token: server.token,
    'jwt RS256': await idp.issue(claims, { alg: 'RS256' }),
  };
  const names = Object.keys(credentials);
  const tally = loadTally(names);
  const load = (name, amount, prefix) =>
    runNodeJson(
      join(ROOT, 'bench', 'load.mjs'),
      { url: server.url, token: credentials[name], connections, amount, prefix },
      { cpu: LOAD_CPU },
    );
  try {
    // Warm-up: JIT, connections, SQLite pages, the git host's cache; the JWKS is fetched here.
    for (const [i, name] of names.entries()) allAccepted(name, await load(name, warmup, `jw${i}`));
    const fetchesAfterWarmup = idp.jwksFetches;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        const cpuBefore = cpuMs(server.pid);
        const r = allAccepted(name, await load(name, requests, `j${round}${names.indexOf(name)}`));
        tally.add(round, name, r, cpuMs(server.pid) - cpuBefore);
      }
    }
    const { rps, latency: lat, cpu, totals } = tally;
    const upTo = (ratio) => ({ ok: ratio <= TARGET, text: `ratio <= ${TARGET.toFixed(2)}` });
    const rowsFor = (jwt) => [
      // Throughput as its inverse, so that the ratio reads like the others: figure over baseline, above 1 costs.
      row(
        `POST /provision, ${jwt} vs token: ms per request (1000 / req/s)`,
        fmt(1000 / rps(jwt), 3),
        fmt(1000 / rps('token'), 3),
        rps('token') / rps(jwt),
        upTo(rps('token') / rps(jwt)),
      ),
      row(
        `POST /provision, ${jwt} vs token: latency p50 (ms)`,
        fmt(lat(jwt, 50), 2),
        fmt(lat('token', 50), 2),
        lat(jwt, 50) / lat('token', 50),
      ),
      row(
        `POST /provision, ${jwt} vs token: server CPU per request (ms)`,
        fmt(cpu(jwt), 3),
        fmt(cpu('token'), 3),
        cpu(jwt) / cpu('token'),
        upTo(cpu(jwt) / cpu('token')),
      ),
    ];
    const fetched = { jwks: idp.jwksFetches, discovery: idp.discoveryFetches };
    const alone = await authenticateAlone(idp, { calls: authCalls });
    return {
      rows: [...rowsFor('jwt RS256'), ...alone.rows],
      authenticateAlone: alone.figures,
      setup: {
        connections,
        requests,
        rounds,
        warmup,
        pinned: canPin ? `server on CPU ${SERVER_CPU}, load generator on CPU ${LOAD_CPU}` : 'not pinned',
        served: Object.fromEntries(names.map((n) => [n, totals[n].ok])),
      },
      // By the server (the in-process authenticators fetch their own after).
      jwks: { fetches: fetched.jwks, duringRounds: fetched.jwks - fetchesAfterWarmup },
      discoveryFetches: fetched.discovery,
      rounds: tally.rounds,
    };
  } finally {
    await server.stop();
    await idp.stop();
  }
}

/**
 * What authenticating alone costs, in this process, one call at a time (no sockets, no route): the token
 * authenticator over SQLite beside the OIDC authenticator with the JWT remembered (as requests after the
 * first see it) and verified on every call (as a new JWT is), RS256 and ES256. Reference rows, no target.
 */
async function authenticateAlone(idp, { calls }) {
  const store = new SqliteTokenStore(openDatabase(join(tempDir('jwt-auth'), 'tokens.db')));
  const token = newToken();
  await store.create({
    id: newTokenId(),
    user: 'bench',
    role: 'admin',
    environments: null,
    digest: tokenDigest(token),
    createdAt: new Date().toISOString(),
    createdBy: 'bench',
    revokedAt: null,
    revokedBy: null,
  });
  const settings = { issuer: idp.issuer, audience: idp.audience, userClaim: 'sub', roleClaim: 'roles' };
  const claims = { sub: 'bench', roles: 'admin' };
  const cases = {
    token: [new TokenAuthenticator(store), token],
    'jwt RS256 remembered': [new OidcAuthenticator(settings, policy.policy), await idp.issue(claims)],
    'jwt RS256 verified every call': [
      new OidcAuthenticator({ ...settings, verifiedCacheMs: 0 }, policy.policy),
      await idp.issue(claims),
    ],
    'jwt ES256 verified every call': [
      new OidcAuthenticator({ ...settings, verifiedCacheMs: 0 }, policy.policy),
      await idp.issue(claims, { alg: 'ES256' }),
    ],
  };
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  // Interleaved call by call, after a warm-up that also fetches the JWKS once per authenticator.
  for (let i = -Math.min(200, calls); i < calls; i++) {
    for (const [name, [auth, credential]] of Object.entries(cases)) {
      const request = { header: (h) => (h === 'authorization' ? `Bearer ${credential}` : undefined) };
      const started = now();
      const result = await auth.authenticate(request);
      const ms = now() - started;
      if (!result.ok) throw new Error(`${name}: ${result.reason}`);
      if (i >= 0) times[name].push(ms);
    }
  }
  const us = (name) => mean(times[name]) * 1000;
  const p50 = (name) => percentile(times[name], 50) * 1000;
  const figures = Object.fromEntries(
    Object.keys(cases).map((name) => [name, { meanUs: us(name), p50Us: p50(name) }]),
  );
  const rows = Object.keys(cases)
    .filter((name) => name !== 'token')
    .map((name) =>
      row(
        `authenticate alone, in process, mean us: ${name} vs token`,
        fmt(us(name), 0),
        fmt(us('token'), 0),
        us(name) / us('token'),
      ),
    );
  return { rows, figures, calls };
}
