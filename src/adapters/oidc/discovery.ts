import { DEFAULT_FETCH_BOUNDS, type FetchBounds, fetchBounded } from './bounded-fetch.js';
import { isSecureOrLoopback } from './secure-url.js';

/** What the runtime uses of an issuer's discovery document (OpenID Connect Discovery 1.0). */
export interface OidcEndpoints {
  issuer: string;
  jwksUri: string;
  /** For the web page's sign-in; a provider that only issues tokens to machines may have none. */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
}

/** The discovery document could not be read or is not fit to use; the message says which, in plain words. */
export class DiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscoveryError';
  }
}

/**
 * The issuer's `/.well-known/openid-configuration`, read on first use and kept; a failed read is not
 * kept, so the next caller tries again. Shared by the JWT verifier (jwks_uri) and the web page's sign-in
 * (authorization and token endpoints), so the document is read once for both.
 */
export class OidcDiscovery {
  private pending: Promise<OidcEndpoints> | undefined;

  constructor(
    readonly issuer: string,
    private readonly bounds: FetchBounds = DEFAULT_FETCH_BOUNDS,
  ) {}

  read(): Promise<OidcEndpoints> {
    if (!this.pending) {
      const reading = this.fetchDocument();
      this.pending = reading;
      reading.catch(() => {
        if (this.pending === reading) this.pending = undefined;
      });
    }
    return this.pending;
  }

  private async fetchDocument(): Promise<OidcEndpoints> {
    const url = `${this.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let document: unknown;
    try {
      const response = await fetchBounded(
        url,
        { signal: AbortSignal.timeout(this.bounds.timeoutMs), headers: { accept: 'application/json' } },
        this.bounds.maxBytes,
      );
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      document = await response.json();
    } catch {
      throw new DiscoveryError("the issuer's discovery document could not be read");
    }
    return endpointsOf(document, this.issuer);
  }
}

/** The endpoints of a discovery document, checked: its issuer is exactly ours (Discovery 4.3), URLs safe. */
function endpointsOf(document: unknown, issuer: string): OidcEndpoints {
  const field = (name: string): string | undefined => {
    if (typeof document !== 'object' || document === null || !Object.hasOwn(document, name)) return undefined;
    const value = (document as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  };
  if (field('issuer') !== issuer)
    throw new DiscoveryError("the issuer's discovery document names another issuer");
  const jwksUri = field('jwks_uri');
  if (!jwksUri || !isSecureOrLoopback(jwksUri))
    throw new DiscoveryError("the issuer's discovery document has no usable jwks_uri");
  const endpoints: OidcEndpoints = { issuer, jwksUri };
  for (const [name, key] of [
    ['authorization_endpoint', 'authorizationEndpoint'],
    ['token_endpoint', 'tokenEndpoint'],
  ] as const) {
    const value = field(name);
    if (value !== undefined && isSecureOrLoopback(value)) endpoints[key] = value;
  }
  return endpoints;
}
