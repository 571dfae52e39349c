import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcProviderPerSuite } from '../support/oidc-provider.js';
import { type RunningServer, serverPerSuite, startServer } from '../support/server.js';

/**
 * GET /auth/config tells the web page how it may sign a person in, before it holds any credential: with
 * a personal token always, and through the OIDC provider (authorization code with PKCE) when configured.
 */

describe('GET /auth/config without an OIDC provider', () => {
  const suite = serverPerSuite();

  it('answers oidc null, without a credential', async () => {
    const response = await fetch(`${suite.server.url}/auth/config`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ oidc: null });
  });

  it('is in the OpenAPI description, public', async () => {
    const doc = (await (await fetch(`${suite.server.url}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { security?: unknown } }>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(doc.paths['/auth/config']?.get).toBeDefined();
    expect(doc.paths['/auth/config']?.get?.security).toBeUndefined();
    expect(Object.keys(doc.components.schemas.AuthConfig?.properties ?? {})).toEqual(['oidc']);
  });

  it("keeps the page's connect-src to its own origin", async () => {
    const response = await fetch(`${suite.server.url}/`);
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self';");
  });
});

describe('GET /auth/config with an OIDC provider and a client id for the page', () => {
  const oidc = oidcProviderPerSuite();
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      env: {
        RDS_PROVISIONER_OIDC_ISSUER: oidc.idp.issuer,
        RDS_PROVISIONER_OIDC_AUDIENCE: oidc.idp.audience,
        RDS_PROVISIONER_OIDC_CLIENT_ID: oidc.idp.clientId,
      },
    });
  }, 60_000);
  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
  });

  it("answers the provider's issuer, the page's client id, its endpoints and scopes, without a credential", async () => {
    const response = await fetch(`${server.url}/auth/config`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      oidc: {
        issuer: oidc.idp.issuer,
        client_id: oidc.idp.clientId,
        authorization_endpoint: oidc.idp.authorizationEndpoint,
        token_endpoint: oidc.idp.tokenEndpoint,
        scopes: ['openid'],
      },
    });
  });

  it("lets the page call the provider's token endpoint, and nothing else of elsewhere", async () => {
    const csp = (await fetch(`${server.url}/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`connect-src 'self' ${new URL(oidc.idp.tokenEndpoint).origin};`);
    expect(csp).toContain("default-src 'self';");
  });
});

describe('GET /auth/config when the OIDC provider cannot be reached', () => {
  // Nothing listens on port 9 of the loopback: discovery fails at once.
  const suite = serverPerSuite({
    env: {
      RDS_PROVISIONER_OIDC_ISSUER: 'http://127.0.0.1:9',
      RDS_PROVISIONER_OIDC_AUDIENCE: 'rds-provisioner',
      RDS_PROVISIONER_OIDC_CLIENT_ID: 'rds-provisioner-web',
    },
  });

  it('answers 503 unavailable saying personal tokens still work; the page keeps to its own origin', async () => {
    const response = await fetch(`${suite.server.url}/auth/config`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: 'unavailable',
      message: 'the OIDC provider could not be reached; sign in with a personal token, or try again',
    });
    const csp = (await fetch(`${suite.server.url}/`)).headers.get('content-security-policy');
    expect(csp).toContain("connect-src 'self';");
    // A personal token still signs in.
    expect((await suite.call('GET', '/whoami')).json).toMatchObject({ id: 'admin', role: 'admin' });
  });
});
