import type { OidcVerifierSettings } from '../adapters/oidc/oidc-authenticator.js';
import { isSecureOrLoopback, SECURE_URL_RULE } from '../adapters/oidc/secure-url.js';

/** A mistake in the OIDC settings: names each variable or flag and why, never a value. */
export class OidcSettingsError extends Error {
  override name = 'OidcSettingsError';
}

/** The OIDC provider whose bearer JWTs the server accepts, and the web page's client at it. */
export interface OidcSettings extends OidcVerifierSettings {
  /** The web page's (public) client id: with it the page signs in through the provider (code + PKCE). */
  clientId?: string;
  /** Scopes the page asks for besides `openid`. */
  scopes: string[];
}

/**
 * What a caller gives (serve's flags, LocalOptions.oidc): each field wins over its variable. The
 * verifier's tuning (clock tolerance, fetch bounds, key cooldown) is given here only, not by variables.
 */
export type OidcOptions = Partial<Omit<OidcSettings, 'scopes'>> & { scopes?: string[] | string };

type TextField = 'issuer' | 'audience' | 'jwksUri' | 'userClaim' | 'roleClaim' | 'clientId' | 'scopes';

/** Each field's variable, and the flag that names it when given through options. */
const SOURCES: Record<TextField, { variable: string; flag: string }> = {
  issuer: { variable: 'RDS_PROVISIONER_OIDC_ISSUER', flag: '--oidc-issuer' },
  audience: { variable: 'RDS_PROVISIONER_OIDC_AUDIENCE', flag: '--oidc-audience' },
  jwksUri: { variable: 'RDS_PROVISIONER_OIDC_JWKS_URI', flag: '--oidc-jwks-uri' },
  userClaim: { variable: 'RDS_PROVISIONER_OIDC_USER_CLAIM', flag: '--oidc-user-claim' },
  roleClaim: { variable: 'RDS_PROVISIONER_OIDC_ROLE_CLAIM', flag: '--oidc-role-claim' },
  clientId: { variable: 'RDS_PROVISIONER_OIDC_CLIENT_ID', flag: '--oidc-client-id' },
  scopes: { variable: 'RDS_PROVISIONER_OIDC_SCOPES', flag: '--oidc-scopes' },
};

export const DEFAULT_USER_CLAIM = 'sub';
export const DEFAULT_ROLE_CLAIM = 'roles';
const MAX_TEXT = 200;
const MAX_SCOPES = 20;
const PRINTABLE = /^[^\p{C}\s]+$/u;
/** RFC 6749 3.3 scope-token. */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The OIDC settings from the environment (RDS_PROVISIONER_OIDC_*) and options, or undefined when no
 * issuer is given (the server then accepts no JWTs). Every mistake is reported at once, each naming its
 * variable (or flag) and why: the issuer an https URL (http only on loopback, for a provider on the same
 * machine), the audience required with it, jwks_uri the same kind of URL, claims and the client id
 * printable, scopes scope tokens.
 */
export function oidcSettings(env: NodeJS.ProcessEnv, options: OidcOptions = {}): OidcSettings | undefined {
  const problems: string[] = [];
  const given = (field: TextField): { value: string; name: string } | undefined => {
    const option = options[field];
    if (option !== undefined)
      return { value: Array.isArray(option) ? option.join(' ') : String(option), name: SOURCES[field].flag };
    const variable = env[SOURCES[field].variable];
    return variable === undefined || variable === ''
      ? undefined
      : { value: variable, name: SOURCES[field].variable };
  };
  const text = (field: TextField, what = 'printable text without spaces') => {
    const found = given(field);
    if (found === undefined) return undefined;
    if (found.value.length === 0 || found.value.length > MAX_TEXT || !PRINTABLE.test(found.value))
      problems.push(`${found.name}: must be ${what}, 1 to ${MAX_TEXT} characters`);
    return found.value;
  };
  const url = (field: 'issuer' | 'jwksUri') => {
    const found = given(field);
    if (found === undefined) return undefined;
    if (!isSecureOrLoopback(found.value) || /[?#]/.test(found.value))
      problems.push(`${found.name}: must be ${SECURE_URL_RULE}, without query or fragment`);
    return found.value;
  };

  const issuer = url('issuer');
  const audience = text('audience');
  const jwksUri = url('jwksUri');
  const userClaim = text('userClaim', 'a claim name') ?? DEFAULT_USER_CLAIM;
  const roleClaim = text('roleClaim', 'a claim name') ?? DEFAULT_ROLE_CLAIM;
  const clientId = text('clientId');
  const scopes = scopeList(given('scopes'), problems);

  if (issuer === undefined) {
    const stray = (['audience', 'jwksUri', 'clientId'] as const)
      .map(given)
      .filter((found) => found !== undefined);
    for (const found of stray)
      problems.push(`${found.name}: has no effect without ${SOURCES.issuer.variable}`);
  } else if (audience === undefined) {
    problems.push(
      `${SOURCES.audience.variable}: required with an issuer (the audience the JWTs are issued for: this API)`,
    );
  }
  if (problems.length > 0) throw new OidcSettingsError(`OIDC settings: ${problems.join('; ')}`);
  if (issuer === undefined || audience === undefined) return undefined;

  const {
    issuer: _i,
    audience: _a,
    jwksUri: _j,
    userClaim: _u,
    roleClaim: _r,
    clientId: _c,
    scopes: _s,
    ...tuning
  } = options;
  return {
    ...tuning,
    issuer,
    audience,
    ...(jwksUri === undefined ? {} : { jwksUri }),
    userClaim,
    roleClaim,
    ...(clientId === undefined ? {} : { clientId }),
    scopes,
  };
}

/** Scopes separated by spaces or commas, each a scope token; `openid` need not be listed. */
function scopeList(found: { value: string; name: string } | undefined, problems: string[]): string[] {
  if (found === undefined) return [];
  const scopes = [...new Set(found.value.split(/[\s,]+/).filter((scope) => scope !== ''))];
  if (scopes.length > MAX_SCOPES || scopes.some((scope) => !SCOPE.test(scope)))
    problems.push(
      `${found.name}: must be at most ${MAX_SCOPES} scope names (printable, no quotes or backslashes) separated by spaces or commas`,
    );
  return scopes;
}
