import type { JWTPayload } from 'jose';
import { PERSON_ROLES, type PersonRole } from '../../domain/access.js';

/**
 * Reading who the caller is and what role they claim from a verified JWT's claims. Claims are looked up
 * as own properties; a name is first taken whole (providers namespace claims with URLs, dots included:
 * `https://example.com/roles`), then as a dotted path into nested objects (`realm_access.roles`).
 */
export function claimAt(payload: JWTPayload, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part))
      return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** An identity is recorded as requester and actor: bounded, printable, no surrounding space. */
/** Within what an audit entry keeps of a field (300), so an identity is never cut there. */
const MAX_IDENTITY = 200;
const PRINTABLE = /^[^\p{C}]+$/u;

export type IdentityClaim = { ok: true; id: string } | { ok: false; reason: string };

export function identityFrom(payload: JWTPayload, claim: string): IdentityClaim {
  const value = claimAt(payload, claim);
  if (value === undefined) return { ok: false, reason: `the JWT has no ${claim} claim` };
  if (
    typeof value !== 'string' ||
    value.length > MAX_IDENTITY ||
    !PRINTABLE.test(value) ||
    value.trim() !== value
  )
    return {
      ok: false,
      reason: `the JWT's ${claim} claim must be a printable string of at most ${MAX_IDENTITY} characters`,
    };
  return { ok: true, id: value };
}

/**
 * The highest person role (requester < approver < admin) the claim holds, as one string or an array of
 * them; anything else in it is ignored. `pipeline` is never taken from a JWT: CI reports with its own
 * credential.
 */
export function claimedRole(payload: JWTPayload, claim: string): PersonRole | undefined {
  const value = claimAt(payload, claim);
  const held = new Set(typeof value === 'string' ? [value] : Array.isArray(value) ? value : []);
  return [...PERSON_ROLES].reverse().find((role) => held.has(role));
}
