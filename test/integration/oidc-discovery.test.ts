import { describe, expect, it } from 'vitest';
import { oidcDiscovery, oidcSignIn } from '../../src/adapters/oidc/discovery.js';
import { oidcProviderPerSuite } from '../support/oidc-provider.js';

/**
 * The OIDC provider's discovery document, read by the runtime for the page's sign-in (GET /auth/config):
 * against the test provider on loopback, read once and kept, refused when it names another issuer, and
 * read again after a failure.
 */

describe('OIDC discovery for the page sign-in', () => {
  const suite = oidcProviderPerSuite({ path: '/realms/test' });

  it("reads the provider's endpoints once and keeps them", async () => {
    const { idp } = suite;
    const before = idp.discoveryFetches;
    const signIn = oidcSignIn({ issuer: idp.issuer, clientId: idp.clientId, scopes: ['profile'] });
    const expected = {
      issuer: idp.issuer,
      clientId: idp.clientId,
      authorizationEndpoint: idp.authorizationEndpoint,
      tokenEndpoint: idp.tokenEndpoint,
      scopes: ['openid', 'profile'],
    };
    expect(await signIn()).toEqual(expected);
    expect(await signIn()).toEqual(expected);
    expect(idp.discoveryFetches - before).toBe(1);
  });

  it('refuses a document that names another issuer', async () => {
    const { idp } = suite;
    // The provider's own document, asked for under another (trailing-slash) issuer name.
    await expect(oidcDiscovery(`${idp.issuer}/`)()).rejects.toThrow(
      'the OIDC discovery document names another issuer',
    );
  });

  it('reads again after a failure: a provider unreachable at first is found once it answers', async () => {
    const { idp } = suite;
    let calls = 0;
    // The network fails once, as for a provider still starting, then reaches it.
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      if (calls === 1) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const discovery = oidcDiscovery(idp.issuer, flaky);
    await expect(discovery()).rejects.toThrow('fetch failed');
    expect((await discovery()).token_endpoint).toBe(idp.tokenEndpoint);
    expect(calls).toBe(2);
  });
});
