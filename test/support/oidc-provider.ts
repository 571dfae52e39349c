/**
 * A test OpenID Connect provider on a loopback port: discovery, a JWKS of the current signing keys (RS256
 * and ES256 by default) that `rotate()` changes, `issue()` to sign a JWT as the provider would (or as it
 * would not: expired, not yet valid, for another audience or issuer, signed by a key it does not publish),
 * forgeries a verifier must refuse (`forge`), and the authorization code flow with PKCE (S256) for a
 * browser page: `/authorize` has no login page, it redirects straight back with a code for the user the
 * test signs in (`signInAs`); `/token` checks the code, client, redirect_uri and code_verifier and answers
 * with an id_token and an access_token (a JWT for `audience`). Every answer carries CORS headers so a page
 * on another origin can call /token. `jwksFetches` counts JWKS downloads (to prove a verifier caches).
 *
 *   const idp = await startOidcProvider();              // or oidcProviderPerSuite() in a describe
 *   const jwt = await idp.issue({ sub: 'alice', roles: ['approver'] });
 *   const expired = await idp.issue({ sub: 'alice' }, { expiresIn: -60 });
 *   await idp.rotate();                                  // a new key; the old one dropped ({ keep: true } keeps it)
 *
 * The server is unref'd: it never keeps a test process alive, and `stop()` closes it at once.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll } from 'vitest';

export type SigningAlgorithm = 'RS256' | 'ES256' | 'PS256' | 'EdDSA';

export interface OidcProviderOptions {
  /** The algorithms of the first signing keys, one key each (default RS256 and ES256). */
  algorithms?: SigningAlgorithm[];
  /** The access token's audience: the API (default `rds-provisioner`). */
  audience?: string;
  /** The one public client /authorize and /token know (default `rds-provisioner-web`). */
  clientId?: string;
  /** Redirect URIs the client may use; unset, any http URI on 127.0.0.1 or localhost is accepted. */
  redirectUris?: string[];
  /** Who signs in at /authorize (default `{ sub: 'alice' }`); `signInAs` changes it. */
  user?: JWTPayload | null;
  /** A path after the origin, as some providers' issuers have (e.g. `/realms/test`; default none). */
  path?: string;
  /** Lifetime of issued tokens in seconds (default 300). */
  lifetime?: number;
}

export interface IssueOptions {
  /** Sign with the current key of this algorithm (default: the first current key). */
  alg?: SigningAlgorithm;
  /** Sign with this current key. */
  kid?: string;
  /** Sign with a key the JWKS never publishes (its own kid unless `kid` is given: then that kid, other key). */
  unpublished?: boolean;
  /** Seconds from now until `exp` (default the provider's lifetime); negative: expired that long ago. */
  expiresIn?: number;
  /** Seconds from now until `nbf` (positive: not yet valid). */
  notBefore?: number;
  /** `aud` (default the provider's audience). */
  audience?: string | string[];
  /** `iss` (default the provider's issuer). */
  issuer?: string;
  /** Extra protected header parameters. */
  header?: Record<string, unknown>;
}

export interface CurrentKey {
  kid: string;
  alg: SigningAlgorithm;
}

/** One /authorize call as the provider saw it. */
export interface AuthorizeCall {
  params: Record<string, string>;
  /** Where it sent the browser (null: it answered 400 itself, as for an unknown client or redirect_uri). */
  redirectedTo: string | null;
}

/** One /token call: what was sent (minus the verifier) and the status answered. */
export interface TokenCall {
  params: Record<string, string>;
  origin: string | null;
  status: number;
}

export interface OidcProvider {
  /** http://127.0.0.1:PORT[path]: the `iss` of every token it issues. */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly discoveryUri: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly audience: string;
  readonly clientId: string;
  /** The keys the JWKS publishes now, in order. */
  readonly keys: CurrentKey[];
  /** How many times the JWKS was downloaded. */
  readonly jwksFetches: number;
  /** How many times the discovery document was downloaded. */
  readonly discoveryFetches: number;
  readonly authorizeCalls: AuthorizeCall[];
  readonly tokenCalls: TokenCall[];
  /** Signs a JWT: the default claims (iss, aud, sub `alice`, iat, exp) with `claims` over them. */
  issue(claims?: JWTPayload, options?: IssueOptions): Promise<string>;
  /**
   * A new signing key of `alg` (default the first current key's), published first in the JWKS and used by
   * default from now on; the keys of that algorithm before it are dropped unless `keep`.
   */
  rotate(options?: { alg?: SigningAlgorithm; keep?: boolean }): Promise<CurrentKey>;
  /** Who signs in at /authorize from now on (null: nobody; /authorize answers access_denied). */
  signInAs(user: JWTPayload | null): void;
  /** Accepts another redirect URI (once `redirectUris` lists some). */
  allowRedirect(uri: string): void;
  /** Slows or pads the JWKS answer, to try a verifier's fetch bounds; `{}` restores it. */
  setJwksFault(fault: { delayMs?: number; padBytes?: number }): void;
  /** Tokens a verifier must refuse although they look like the provider's. */
  readonly forge: {
    /** `alg: none`, no signature. */
    none(claims?: JWTPayload): string;
    /** HS256 with the RS256 key's public PEM as the HMAC secret (the algorithm-confusion attack). */
    hmacWithPublicKey(claims?: JWTPayload): Promise<string>;
  };
  stop(): Promise<void>;
}

interface SigningKey extends CurrentKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

/** A signed JWT with its payload replaced by `patch` over the original claims, the signature kept. */
export function tamper(jwt: string, patch: JWTPayload): string {
  const [header, payload, signature] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as JWTPayload;
  return [header, encodeJson({ ...claims, ...patch }), signature].join('.');
}

const encodeJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const base64url = (bytes: Buffer) => bytes.toString('base64url');
const CODE_LIFETIME_MS = 60_000;
/** RFC 7636: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

async function newKey(alg: SigningAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg.toLowerCase()}-${base64url(randomBytes(6))}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, jwk };
}

export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<OidcProvider> {
  const audience = options.audience ?? 'rds-provisioner';
  const clientId = options.clientId ?? 'rds-provisioner-web';
  const lifetime = options.lifetime ?? 300;
  const path = options.path ?? '';
  const redirectUris = options.redirectUris ? [...options.redirectUris] : null;
  let user: JWTPayload | null = options.user === undefined ? { sub: 'alice' } : options.user;
  let keys: SigningKey[] = await Promise.all((options.algorithms ?? ['RS256', 'ES256']).map(newKey));
  const unpublished = new Map<SigningAlgorithm, SigningKey>();
  let jwksFault: { delayMs?: number; padBytes?: number } = {};
  let jwksFetches = 0;
  let discoveryFetches = 0;
  const authorizeCalls: AuthorizeCall[] = [];
  const tokenCalls: TokenCall[] = [];
  const codes = new Map<
    string,
    {
      clientId: string;
      redirectUri: string;
      challenge: string;
      nonce: string | undefined;
      scope: string;
      user: JWTPayload;
      expiresAt: number;
    }
  >();

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, req, 500, { error: 'server_error' });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}${path}`;
  const endpoints = {
    discovery: `${issuer}/.well-known/openid-configuration`,
    jwks: `${issuer}/jwks`,
    authorize: `${issuer}/authorize`,
    token: `${issuer}/token`,
  };

  const keyFor = (alg?: SigningAlgorithm, kid?: string): SigningKey => {
    const key = kid ? keys.find((k) => k.kid === kid) : alg ? keys.find((k) => k.alg === alg) : keys[0];
    if (!key) throw new Error(`the provider has no current key ${kid ?? alg ?? ''}`);
    return key;
  };
  const unpublishedKey = async (alg: SigningAlgorithm): Promise<SigningKey> => {
    const known = unpublished.get(alg);
    if (known) return known;
    const key = await newKey(alg);
    unpublished.set(alg, key);
    return key;
  };

  async function issue(claims: JWTPayload = {}, opts: IssueOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const alg = opts.alg ?? (opts.kid && !opts.unpublished ? keyFor(undefined, opts.kid) : keyFor()).alg;
    const key = opts.unpublished ? await unpublishedKey(alg) : keyFor(opts.alg, opts.kid);
    const payload: JWTPayload = {
      iss: opts.issuer ?? issuer,
      aud: opts.audience ?? audience,
      sub: 'alice',
      iat: now,
      exp: now + (opts.expiresIn ?? lifetime),
      ...(opts.notBefore === undefined ? {} : { nbf: now + opts.notBefore }),
      ...claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ typ: 'JWT', ...opts.header, alg: key.alg, kid: opts.kid ?? key.kid })
      .sign(key.privateKey);
  }

  const defaultClaims = (claims: JWTPayload): JWTPayload => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: issuer, aud: audience, sub: 'alice', iat: now, exp: now + lifetime, ...claims };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const route = url.pathname.startsWith(path) ? url.pathname.slice(path.length) : url.pathname;
    if (req.method === 'OPTIONS') return preflight(req, res);
    if (req.method === 'GET' && route === '/.well-known/openid-configuration') {
      discoveryFetches += 1;
      return send(res, req, 200, {
        issuer,
        authorization_endpoint: endpoints.authorize,
        token_endpoint: endpoints.token,
        jwks_uri: endpoints.jwks,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [...new Set(keys.map((k) => k.alg))],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
        scopes_supported: ['openid', 'profile', 'email'],
      });
    }
    if (req.method === 'GET' && route === '/jwks') {
      jwksFetches += 1;
      const fault = jwksFault;
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs).unref());
      const body: Record<string, unknown> = { keys: keys.map((k) => k.jwk) };
      if (fault.padBytes) body.padding = 'x'.repeat(fault.padBytes);
      return send(res, req, 200, body);
    }
    if (req.method === 'GET' && route === '/authorize') return authorize(req, res, url);
    if (req.method === 'POST' && route === '/token') return token(req, res);
    return send(res, req, 404, { error: 'not_found' });
  }

  function authorize(req: IncomingMessage, res: ServerResponse, url: URL) {
    const params = Object.fromEntries(url.searchParams);
    const call: AuthorizeCall = { params, redirectedTo: null };
    authorizeCalls.push(call);
    const redirectUri = params.redirect_uri ?? '';
    // An unknown client or redirect_uri is answered here, never redirected (RFC 6749 4.1.2.1).
    if (params.client_id !== clientId) return send(res, req, 400, { error: 'invalid_client' });
    if (!redirectAllowed(redirectUri)) return send(res, req, 400, { error: 'invalid_redirect_uri' });
    const back = (query: Record<string, string>) => {
      const target = new URL(redirectUri);
      for (const [name, value] of Object.entries({ ...query, iss: issuer }))
        target.searchParams.set(name, value);
      if (params.state !== undefined) target.searchParams.set('state', params.state);
      call.redirectedTo = target.href;
      res.writeHead(302, { location: target.href, 'cache-control': 'no-store' }).end();
    };
    if (params.response_type !== 'code') return back({ error: 'unsupported_response_type' });
    if (!params.code_challenge || params.code_challenge_method !== 'S256')
      return back({ error: 'invalid_request', error_description: 'PKCE with S256 is required' });
    if (!user) return back({ error: 'access_denied' });
    const code = base64url(randomBytes(24));
    codes.set(code, {
      clientId,
      redirectUri,
      challenge: params.code_challenge,
      nonce: params.nonce,
      scope: params.scope ?? 'openid',
      user,
      expiresAt: Date.now() + CODE_LIFETIME_MS,
    });
    back({ code });
  }

  function redirectAllowed(uri: string): boolean {
    if (redirectUris) return redirectUris.includes(uri);
    try {
      const parsed = new URL(uri);
      return parsed.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(parsed.hostname);
    } catch {
      return false;
    }
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const params = Object.fromEntries(new URLSearchParams(await readBody(req)));
    const { code_verifier: verifier, ...shown } = params;
    const call: TokenCall = { params: shown, origin: header(req, 'origin'), status: 0 };
    tokenCalls.push(call);
    const refuse = (error: string, description: string) => {
      call.status = 400;
      send(res, req, 400, { error, error_description: description });
    };
    if (params.grant_type !== 'authorization_code')
      return refuse('unsupported_grant_type', 'only authorization_code');
    const grant = codes.get(params.code ?? '');
    // A code is good once (RFC 6749 4.1.2), whatever the outcome.
    if (params.code) codes.delete(params.code);
    if (!grant || grant.expiresAt < Date.now()) return refuse('invalid_grant', 'unknown or expired code');
    if (params.client_id !== grant.clientId) return refuse('invalid_grant', 'the code is for another client');
    if (params.redirect_uri !== grant.redirectUri)
      return refuse('invalid_grant', 'redirect_uri differs from the authorization request');
    if (!verifier || !VERIFIER.test(verifier)) return refuse('invalid_request', 'code_verifier is malformed');
    if (base64url(createHash('sha256').update(verifier).digest()) !== grant.challenge)
      return refuse('invalid_grant', 'code_verifier does not match the code_challenge');
    const accessToken = await issue(grant.user);
    const idToken = await issue(
      { ...grant.user, ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }) },
      { audience: grant.clientId },
    );
    call.status = 200;
    send(res, req, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: lifetime,
      id_token: idToken,
      scope: grant.scope,
    });
  }

  return {
    issuer,
    jwksUri: endpoints.jwks,
    discoveryUri: endpoints.discovery,
    authorizationEndpoint: endpoints.authorize,
    tokenEndpoint: endpoints.token,
    audience,
    clientId,
    get keys() {
      return keys.map(({ kid, alg }) => ({ kid, alg }));
    },
    get jwksFetches() {
      return jwksFetches;
    },
    get discoveryFetches() {
      return discoveryFetches;
    },
    authorizeCalls,
    tokenCalls,
    issue,
    async rotate(opts = {}) {
      const alg = opts.alg ?? keyFor().alg;
      const key = await newKey(alg);
      keys = [key, ...keys.filter((k) => opts.keep || k.alg !== alg)];
      return { kid: key.kid, alg: key.alg };
    },
    signInAs(next) {
      user = next;
    },
    allowRedirect(uri) {
      redirectUris?.push(uri);
    },
    setJwksFault(fault) {
      jwksFault = fault;
    },
    forge: {
      none: (claims = {}) =>
        `${encodeJson({ alg: 'none', typ: 'JWT' })}.${encodeJson(defaultClaims(claims))}.`,
      async hmacWithPublicKey(claims = {}) {
        const rsa = keys.find((k) => k.alg === 'RS256') ?? (await unpublishedKey('RS256'));
        const secret = await exportSPKI(rsa.publicKey);
        const signingInput = `${encodeJson({ alg: 'HS256', typ: 'JWT', kid: rsa.kid })}.${encodeJson(defaultClaims(claims))}`;
        return `${signingInput}.${base64url(createHmac('sha256', secret).update(signingInput).digest())}`;
      },
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A provider for a whole suite: started before its tests, stopped after them. Read `idp` inside tests. */
export function oidcProviderPerSuite(options: OidcProviderOptions = {}): { readonly idp: OidcProvider } {
  let running: OidcProvider | undefined;
  beforeAll(async () => {
    running = await startOidcProvider(options);
  });
  afterAll(async () => {
    await running?.stop();
  });
  return {
    get idp() {
      if (!running) throw new Error('the suite identity provider is not running yet');
      return running;
    },
  };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

/** Any origin may call: the page that signs in is served from another port than the provider. */
function corsHeaders(req: IncomingMessage): Record<string, string> {
  return { 'access-control-allow-origin': header(req, 'origin') ?? '*', vary: 'Origin' };
}

function preflight(req: IncomingMessage, res: ServerResponse): void {
  res
    .writeHead(204, {
      ...corsHeaders(req),
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': header(req, 'access-control-request-headers') ?? 'content-type',
      'access-control-max-age': '600',
    })
    .end();
}

function send(res: ServerResponse, req: IncomingMessage, status: number, body: unknown): void {
  res
    .writeHead(status, {
      ...corsHeaders(req),
      'content-type': 'application/json',
      'cache-control': 'no-store',
    })
    .end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
