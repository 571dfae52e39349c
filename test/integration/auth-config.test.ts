import { describe, expect, it } from 'vitest';
import { serverPerSuite } from '../support/server.js';

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
