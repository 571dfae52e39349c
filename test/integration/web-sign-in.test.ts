import { describe, expect, it } from 'vitest';
import { OidcDiscovery } from '../../src/adapters/oidc/discovery.js';
import { webSignIn } from '../../src/runtime/web-sign-in.js';
import { oidcProviderPerSuite } from '../support/oidc-provider.js';

/**
 * The page's sign-in through the OIDC provider (GET /auth/config's answer), from the provider's discovery
 * document: against the test provider on loopback, read once and kept, refused when it names another
 * issuer; nothing without a client id for the page.
 */

describe('the web sign-in from OIDC discovery', () => {
  const suite = oidcProviderPerSuite({ path: '/realms/test' });

  it("gives the provider's endpoints, the page's client and scopes, reading discovery once", async () => {
    const { idp } = suite;
    const before = idp.discoveryFetches;
    const { oidc } = webSignIn(
      { clientId: idp.clientId, scopes: ['profile', 'openid'] },
      new OidcDiscovery(idp.issuer),
    );
    const expected = {
      issuer: idp.issuer,
      clientId: idp.clientId,
      authorizationEndpoint: idp.authorizationEndpoint,
      tokenEndpoint: idp.tokenEndpoint,
      scopes: ['openid', 'profile'],
    };
    expect(await oidc?.()).toEqual(expected);
    expect(await oidc?.()).toEqual(expected);
    expect(idp.discoveryFetches - before).toBe(1);
  });

  it('rejects a document that names another issuer', async () => {
    const { idp } = suite;
    const { oidc } = webSignIn({ clientId: idp.clientId }, new OidcDiscovery(`${idp.issuer}/`));
    await expect(oidc?.()).rejects.toThrow('names another issuer');
  });

  it('offers nothing without a client id for the page, or without a provider', () => {
    const { idp } = suite;
    expect(webSignIn({ scopes: ['openid'] }, new OidcDiscovery(idp.issuer))).toEqual({});
    expect(webSignIn(undefined, undefined)).toEqual({});
  });
});
