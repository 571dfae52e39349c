import { errors, type JWTPayload } from 'jose';
import { TooLargeError } from './bounded-fetch.js';
import { DiscoveryError } from './discovery.js';

/** The algorithms a JWT may be signed with: asymmetric only, never `none` or a shared secret (HS*). */
export const ACCEPTED_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'] as const;

/**
 * Why a JWT was refused, in words fit for the caller and the audit trail; never the JWT. `claims`: the
 * payload when its signature verified and only a claim failed (expired, audience, issuer), so the audit
 * can name who it was.
 */
export interface Refusal {
  reason: string;
  claims?: JWTPayload;
}

const CLAIM_WORDS: Record<string, string> = {
  nbf: 'the JWT is not yet valid',
  aud: 'the JWT is for another audience',
  iss: 'the JWT is from another issuer',
};

export function refusalOf(error: unknown): Refusal {
  if (error instanceof errors.JWTExpired) return { reason: 'the JWT expired', claims: error.payload };
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason =
      error.claim === 'exp' && error.reason === 'missing'
        ? 'the JWT has no expiry (exp)'
        : (CLAIM_WORDS[error.claim] ?? `the JWT's ${error.claim} claim is not valid`);
    return { reason, claims: error.payload };
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return {
      reason: `the JWT is signed with an algorithm not accepted (accepted: ${ACCEPTED_ALGORITHMS.join(', ')})`,
    };
  if (error instanceof errors.JWKSNoMatchingKey)
    return { reason: 'the JWT was signed by a key the issuer does not publish' };
  if (error instanceof errors.JWKSMultipleMatchingKeys)
    return { reason: 'the issuer publishes several keys that match the JWT: it must name one (kid)' };
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return { reason: 'the JWT signature does not verify' };
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid)
    return { reason: 'the JWT is malformed' };
  if (error instanceof errors.JWKSTimeout)
    return { reason: "the issuer's keys could not be fetched in time" };
  if (error instanceof TooLargeError)
    return { reason: `the issuer's keys could not be fetched: ${error.message}` };
  if (error instanceof errors.JWKSInvalid) return { reason: "the issuer's key set is not valid" };
  if (error instanceof DiscoveryError) return { reason: error.message };
  // A network failure, a non-200 answer or a body that is not JSON (jose's generic error).
  if (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC')
    return { reason: "the issuer's keys could not be fetched" };
  if (error instanceof TypeError || (error instanceof Error && error.name === 'AbortError'))
    return { reason: "the issuer's keys could not be fetched" };
  return { reason: 'the JWT is not valid' };
}
