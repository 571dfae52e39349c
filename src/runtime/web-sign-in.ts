import type { OidcDiscovery } from '../adapters/oidc/discovery.js';
import type { SignInDeps } from '../app/http/sign-in.js';

/** Always asked for: without `openid` the provider answers no ID token. */
const SIGN_IN_SCOPES = ['openid'];

/**
 * How the web page signs in (GET /auth/config): through the OIDC provider when the runtime has one and a
 * client id for the page, its endpoints from the provider's discovery document (the one the JWT verifier
 * reads too); otherwise with personal tokens only.
 */
export function webSignIn(
  settings: { clientId?: string | undefined; scopes?: readonly string[] | undefined } | undefined,
  discovery: Pick<OidcDiscovery, 'issuer' | 'read'> | undefined,
): SignInDeps {
  const clientId = settings?.clientId;
  if (!clientId || !discovery) return {};
  const scopes = [...new Set([...SIGN_IN_SCOPES, ...(settings.scopes ?? [])])];
  return {
    oidc: async () => {
      const { authorizationEndpoint, tokenEndpoint } = await discovery.read();
      if (!authorizationEndpoint || !tokenEndpoint)
        throw new Error("the provider's discovery document names no authorization or token endpoint");
      return { issuer: discovery.issuer, clientId, authorizationEndpoint, tokenEndpoint, scopes };
    },
  };
}
