import { describe, expect, it } from 'vitest';
import { OidcSettingsError, oidcSettings } from '../../src/runtime/oidc-settings.js';

/** The OIDC settings from RDS_PROVISIONER_OIDC_* and serve's options: defaults, and each mistake named. */

const ISSUER = 'https://login.example.com/realms/acme';
const env = (vars: Record<string, string>) => ({ ...vars }) as NodeJS.ProcessEnv;

const problemsOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OidcSettingsError);
    return (error as Error).message;
  }
  throw new Error('expected the settings to be refused');
};

describe('OIDC settings', () => {
  it('are absent without an issuer: the server accepts no JWTs', () => {
    expect(oidcSettings(env({}))).toBeUndefined();
  });

  it('read the variables, with the claims defaulted (sub, roles)', () => {
    expect(
      oidcSettings(
        env({
          RDS_PROVISIONER_OIDC_ISSUER: ISSUER,
          RDS_PROVISIONER_OIDC_AUDIENCE: 'rds-provisioner',
          RDS_PROVISIONER_OIDC_CLIENT_ID: 'rds-web',
          RDS_PROVISIONER_OIDC_SCOPES: 'profile, email groups',
        }),
      ),
    ).toEqual({
      issuer: ISSUER,
      audience: 'rds-provisioner',
      userClaim: 'sub',
      roleClaim: 'roles',
      clientId: 'rds-web',
      scopes: ['profile', 'email', 'groups'],
    });
  });

  it('options win over the variables, and pass the verifier tuning through', () => {
    const settings = oidcSettings(
      env({ RDS_PROVISIONER_OIDC_ISSUER: 'https://other.example', RDS_PROVISIONER_OIDC_AUDIENCE: 'x' }),
      {
        issuer: 'http://127.0.0.1:8080',
        audience: 'api',
        jwksUri: 'http://localhost:8080/keys',
        userClaim: 'email',
        roleClaim: 'realm_access.roles',
        keyRefetchCooldownMs: 0,
      },
    );
    expect(settings).toEqual({
      issuer: 'http://127.0.0.1:8080',
      audience: 'api',
      jwksUri: 'http://localhost:8080/keys',
      userClaim: 'email',
      roleClaim: 'realm_access.roles',
      scopes: [],
      keyRefetchCooldownMs: 0,
    });
  });

  it.each([
    [
      'an http issuer off loopback',
      { RDS_PROVISIONER_OIDC_ISSUER: 'http://login.example.com', RDS_PROVISIONER_OIDC_AUDIENCE: 'api' },
      'RDS_PROVISIONER_OIDC_ISSUER: must be an https URL (http only on localhost, 127.0.0.1 or [::1]), without query or fragment',
    ],
    [
      'an issuer that is no URL',
      { RDS_PROVISIONER_OIDC_ISSUER: 'login.example.com', RDS_PROVISIONER_OIDC_AUDIENCE: 'api' },
      'RDS_PROVISIONER_OIDC_ISSUER: must be an https URL',
    ],
    [
      'an issuer with a query',
      { RDS_PROVISIONER_OIDC_ISSUER: `${ISSUER}?a=1`, RDS_PROVISIONER_OIDC_AUDIENCE: 'api' },
      'RDS_PROVISIONER_OIDC_ISSUER: must be an https URL',
    ],
    [
      'an issuer without an audience',
      { RDS_PROVISIONER_OIDC_ISSUER: ISSUER },
      'RDS_PROVISIONER_OIDC_AUDIENCE: required with an issuer',
    ],
    [
      'an audience without an issuer',
      { RDS_PROVISIONER_OIDC_AUDIENCE: 'api' },
      'RDS_PROVISIONER_OIDC_AUDIENCE: has no effect without RDS_PROVISIONER_OIDC_ISSUER',
    ],
    [
      'an http jwks_uri off loopback',
      {
        RDS_PROVISIONER_OIDC_ISSUER: ISSUER,
        RDS_PROVISIONER_OIDC_AUDIENCE: 'api',
        RDS_PROVISIONER_OIDC_JWKS_URI: 'http://keys.example.com/jwks',
      },
      'RDS_PROVISIONER_OIDC_JWKS_URI: must be an https URL',
    ],
    [
      'a claim name with a space',
      {
        RDS_PROVISIONER_OIDC_ISSUER: ISSUER,
        RDS_PROVISIONER_OIDC_AUDIENCE: 'api',
        RDS_PROVISIONER_OIDC_USER_CLAIM: 'preferred username',
      },
      'RDS_PROVISIONER_OIDC_USER_CLAIM: must be a claim name, 1 to 200 characters',
    ],
    [
      'a scope with a quote',
      {
        RDS_PROVISIONER_OIDC_ISSUER: ISSUER,
        RDS_PROVISIONER_OIDC_AUDIENCE: 'api',
        RDS_PROVISIONER_OIDC_SCOPES: 'profile "x"',
      },
      'RDS_PROVISIONER_OIDC_SCOPES: must be at most 20 scope names',
    ],
  ])('refuse %s, naming the variable and why', (_, vars, message) => {
    expect(problemsOf(() => oidcSettings(env(vars)))).toContain(message);
  });

  it('name the flag when the value came from an option, and every mistake at once', () => {
    const message = problemsOf(() =>
      oidcSettings(env({ RDS_PROVISIONER_OIDC_ROLE_CLAIM: 'a\tb' }), { issuer: 'ftp://x', jwksUri: 'nope' }),
    );
    expect(message).toContain('--oidc-issuer: must be an https URL');
    expect(message).toContain('--oidc-jwks-uri: must be an https URL');
    expect(message).toContain('RDS_PROVISIONER_OIDC_ROLE_CLAIM: must be a claim name');
    expect(message).toContain('RDS_PROVISIONER_OIDC_AUDIENCE: required with an issuer');
    expect(message).not.toContain('ftp://x');
  });
});
