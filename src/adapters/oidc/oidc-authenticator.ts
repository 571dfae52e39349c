import { createRemoteJWKSet, customFetch, type JWTPayload, jwtVerify, type RemoteJWKSet } from 'jose';
import { mappedPrincipal } from '../../domain/access.js';
import type { Policy } from '../../domain/policy.js';
import { type Authentication, type Authenticator, type AuthRequest, withoutRole } from '../../ports.js';
import { bearerToken } from '../bearer-authenticator.js';
import { DEFAULT_FETCH_BOUNDS, fetchBounded } from './bounded-fetch.js';
import { claimedRole, identityFrom } from './claims.js';
import { OidcDiscovery } from './discovery.js';
import { ACCEPTED_ALGORITHMS, refusalOf } from './refusals.js';
import { VerifiedJwts } from './verified-jwts.js';

/** What a JWT is verified against, and how the issuer's keys are fetched and kept. */
export interface OidcVerifierSettings {
  /** The `iss` every JWT must carry, exactly; its discovery document gives jwks_uri unless `jwksUri` does. */
  issuer: string;
  /** The `aud` every JWT must carry (one of them, when it is a list): this API. */
  audience: string;
  jwksUri?: string;
  /** The claim naming the caller (e.g. `sub`, `email`). */
  userClaim: string;
  /** The claim holding the caller's role(s). */
  roleClaim: string;
  /**
   * Seconds of clock difference allowed between the issuer and this server when checking exp and nbf
   * (default 30: enough for clocks kept by NTP, short against a replayed expired token).
   */
  clockToleranceSeconds?: number;
  /** Milliseconds for a discovery or JWKS answer (default 5000). */
  fetchTimeoutMs?: number;
  /** Bytes of a discovery or JWKS answer read at most (default 256 KiB). */
  maxDocumentBytes?: number;
  /**
   * After a JWKS fetch, how long a JWT with an unknown key is refused without fetching again (default
   * 30000): a rotation is picked up at once unless the JWKS was fetched less than this ago, and a stranger
   * sending made-up keys causes at most one fetch per period.
   */
  keyRefetchCooldownMs?: number;
  /** How long fetched keys are used before the JWKS is fetched again (default 10 minutes). */
  keyCacheMaxAgeMs?: number;
  /**
   * How long a JWT that verified is taken again without checking its signature (default 60000; never past
   * its exp; 0: verify every time). A key the issuer drops keeps serving the JWTs already seen for at most
   * this long: shorter than the keys' own cache (keyCacheMaxAgeMs), as API Gateway keeps an authorizer's
   * answer for 300 s.
   */
  verifiedCacheMs?: number;
}

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Bearer JWTs from an OpenID Connect provider: verified with jose against the issuer's published keys
 * (fetched once, kept, refetched on an unknown key or when stale; never per request), the issuer, the
 * audience, the accepted algorithms and exp/nbf. The caller is the configured claim; the role comes from
 * the policy (its principals entry, else the role claim, else default_role).
 */
export class OidcAuthenticator implements Authenticator {
  /** The issuer's discovery document, read once: the web page's sign-in reads its endpoints from it too. */
  readonly discovery: OidcDiscovery;
  private keySet: Promise<RemoteJWKSet> | undefined;
  private readonly seen: VerifiedJwts;

  constructor(
    private readonly settings: OidcVerifierSettings,
    private readonly policy: Policy,
    discovery?: OidcDiscovery,
  ) {
    this.discovery = discovery ?? new OidcDiscovery(settings.issuer, this.bounds());
    this.seen = new VerifiedJwts(settings.verifiedCacheMs ?? 60_000);
  }

  async authenticate(request: AuthRequest): Promise<Authentication> {
    const token = bearerToken(request);
    return token === undefined ? { ok: false, reason: 'a bearer token is required' } : this.verify(token);
  }

  async verify(jwt: string): Promise<Authentication> {
    const { settings } = this;
    let payload: JWTPayload;
    try {
      payload = this.seen.get(jwt) ?? (await this.verified(jwt));
    } catch (error) {
      const { reason, claims } = refusalOf(error);
      const who = claims ? identityFrom(claims, settings.userClaim) : undefined;
      return who?.ok ? { ok: false, reason, actor: who.id } : { ok: false, reason };
    }
    const identity = identityFrom(payload, settings.userClaim);
    if (!identity.ok) return identity;
    const principal = mappedPrincipal(
      identity.id,
      'oidc',
      this.policy,
      claimedRole(payload, settings.roleClaim),
    );
    return principal ? { ok: true, principal } : withoutRole(identity.id);
  }

  /** The JWT's claims once it verified (remembered a while, see verifiedCacheMs); throws jose's reason. */
  private async verified(jwt: string): Promise<JWTPayload> {
    const { settings } = this;
    const tolerance = settings.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    const { payload } = await jwtVerify(
      jwt,
      (header, token) => this.keys().then((keys) => keys(header, token)),
      {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: [...ACCEPTED_ALGORITHMS],
        clockTolerance: tolerance,
        requiredClaims: ['exp'],
      },
    );
    // exp is required and was checked: a number of seconds.
    this.seen.add(jwt, payload, ((payload.exp as number) + tolerance) * 1000);
    return payload;
  }

  /** The issuer's key set, made once (after discovery when jwks_uri is not given); jose keeps the keys. */
  private keys(): Promise<RemoteJWKSet> {
    if (!this.keySet) {
      const { jwksUri } = this.settings;
      const making = (jwksUri ? Promise.resolve(jwksUri) : this.discovery.read().then((d) => d.jwksUri)).then(
        (uri) => this.remoteKeySet(uri),
      );
      this.keySet = making;
      making.catch(() => {
        if (this.keySet === making) this.keySet = undefined;
      });
    }
    return this.keySet;
  }

  private remoteKeySet(uri: string): RemoteJWKSet {
    const { timeoutMs, maxBytes } = this.bounds();
    return createRemoteJWKSet(new URL(uri), {
      timeoutDuration: timeoutMs,
      cooldownDuration: this.settings.keyRefetchCooldownMs ?? 30_000,
      cacheMaxAge: this.settings.keyCacheMaxAgeMs ?? 600_000,
      [customFetch]: (url, init) => fetchBounded(url, init, maxBytes),
    });
  }

  private bounds() {
    return {
      timeoutMs: this.settings.fetchTimeoutMs ?? DEFAULT_FETCH_BOUNDS.timeoutMs,
      maxBytes: this.settings.maxDocumentBytes ?? DEFAULT_FETCH_BOUNDS.maxBytes,
    };
  }
}
