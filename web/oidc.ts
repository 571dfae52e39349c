import type { AuthConfig } from './api.js';

/**
 * Signing in through the OIDC provider: the authorization code flow with PKCE (RFC 7636, S256) for a
 * public client, the code exchanged at the token endpoint by the page itself. The state, the PKCE
 * verifier and the nonce wait in sessionStorage (this tab only) while the browser is at the provider,
 * and are forgotten as soon as it is back, whatever the outcome.
 */

export type OidcProvider = NonNullable<AuthConfig['oidc']>;

const PENDING_KEY = 'rds-provisioner.oidc-pending';

interface Pending {
  state: string;
  verifier: string;
  nonce: string;
  redirectUri: string;
  issuer: string;
}

/** 32 random bytes, base64url: a PKCE verifier (43 characters), a state or a nonce. */
function randomString(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function challengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** The provider's authorization URL for a new sign-in; what it needs to finish is kept for the return. */
export async function authorizationUrl(provider: OidcProvider, redirectUri: string): Promise<string> {
  const pending: Pending = {
    state: randomString(),
    verifier: randomString(),
    nonce: randomString(),
    redirectUri,
    issuer: provider.issuer,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(provider.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: provider.client_id,
    redirect_uri: redirectUri,
    scope: provider.scopes.join(' '),
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

/** Whether the page's address is the provider sending the browser back (a code or an error, with a state). */
export function isOidcReturn(url: URL): boolean {
  return url.searchParams.has('state') && (url.searchParams.has('code') || url.searchParams.has('error'));
}

/** The address without what the provider added (code, state, iss, error): nothing of it stays in history. */
export function withoutOidcReturn(url: URL): string {
  const clean = new URL(url.href);
  for (const name of ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state'])
    clean.searchParams.delete(name);
  return clean.pathname + clean.search + clean.hash;
}

export type OidcOutcome = { ok: true; token: string } | { ok: false; message: string };

/**
 * Finishes a sign-in the provider sent the browser back from: the state must be the one this tab sent
 * (else the answer is someone else's, and is dropped unused), the code is exchanged with the verifier,
 * and the bearer is the access token when it is a JWT (a token for this API), else the ID token.
 */
export async function finishSignIn(provider: OidcProvider, url: URL): Promise<OidcOutcome> {
  const stored = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  let pending: Pending | undefined;
  try {
    pending = stored ? (JSON.parse(stored) as Pending) : undefined;
  } catch {
    pending = undefined;
  }
  const state = url.searchParams.get('state');
  if (!pending || state !== pending.state)
    return refused('the answer from the sign-in provider is not for this sign-in (its state differs)');
  const iss = url.searchParams.get('iss');
  if (pending.issuer !== provider.issuer || (iss !== null && iss !== provider.issuer))
    return refused('the answer came from another provider than the one this page signs in with');
  const error = url.searchParams.get('error');
  if (error) {
    const description = url.searchParams.get('error_description');
    return refused(
      error === 'access_denied'
        ? 'the provider did not sign you in (access denied)'
        : `the provider answered ${error}${description ? ` (${description})` : ''}`,
    );
  }
  const code = url.searchParams.get('code') ?? '';
  let answer: Response;
  try {
    answer = await fetch(provider.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: pending.redirectUri,
        client_id: provider.client_id,
        code_verifier: pending.verifier,
      }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    return refused('the provider’s token endpoint could not be reached');
  }
  const body = (await answer.json().catch(() => ({}))) as Record<string, unknown>;
  if (!answer.ok) {
    const reason = typeof body.error === 'string' ? body.error : `status ${answer.status}`;
    return refused(`the provider did not exchange the sign-in code (${reason})`);
  }
  const idToken = typeof body.id_token === 'string' ? body.id_token : undefined;
  if (idToken && claims(idToken)?.nonce !== pending.nonce)
    return refused('the provider’s ID token is not for this sign-in (its nonce differs)');
  const accessToken = typeof body.access_token === 'string' ? body.access_token : undefined;
  const token = accessToken && isJwt(accessToken) ? accessToken : idToken;
  if (!token) return refused('the provider answered without a token this service takes');
  return { ok: true, token };
}

const refused = (reason: string): OidcOutcome => ({ ok: false, message: `Not signed in: ${reason}.` });

const isJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

/** A JWT's claims, read without checking its signature: the service checks it on every call. */
function claims(jwt: string): Record<string, unknown> | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    const binary = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const text = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
