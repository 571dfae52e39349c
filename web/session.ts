import type { Credential, CredentialKind } from './credentials.js';

/** Where each kind of credential is kept: the token as it always was, the others as JSON. */
const KEYS: Record<CredentialKind, string> = {
  bearer: 'rds-provisioner.token',
  api_key: 'rds-provisioner.api-key',
  iam: 'rds-provisioner.aws-credentials',
};
/** Set when the bearer came from the OIDC provider, so that a refusal says the sign-in expired. */
const VIA_PROVIDER = 'rds-provisioner.via-provider';

/**
 * The credential lives in sessionStorage only: this tab, until it closes. Never localStorage, never the
 * URL. Only the kind the service takes (GET /health) is read; signing out forgets every kind.
 */
export const session = {
  credential(kind: CredentialKind): Credential | null {
    const stored = sessionStorage.getItem(KEYS[kind]);
    if (!stored) return null;
    if (kind === 'bearer') return { kind, token: stored };
    try {
      const value = JSON.parse(stored) as Credential;
      return value.kind === kind ? value : null;
    } catch {
      return null;
    }
  },
  /** Whether the tab's bearer is a token the OIDC provider issued (not a personal token). */
  viaProvider(): boolean {
    return sessionStorage.getItem(VIA_PROVIDER) !== null;
  },
  signIn(credential: Credential, viaProvider = false) {
    session.signOut();
    const key = KEYS[credential.kind];
    if (credential.kind === 'bearer') sessionStorage.setItem(key, credential.token);
    else sessionStorage.setItem(key, JSON.stringify(credential));
    if (viaProvider) sessionStorage.setItem(VIA_PROVIDER, 'oidc');
  },
  signOut() {
    for (const key of [...Object.values(KEYS), VIA_PROVIDER]) sessionStorage.removeItem(key);
  },
};
