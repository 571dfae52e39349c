import type { Credential, CredentialKind } from './credentials.js';

/** Where each kind of credential is kept: the token as it always was, the others as JSON. */
const KEYS: Record<CredentialKind, string> = {
  bearer: 'rds-provisioner.token',
  api_key: 'rds-provisioner.api-key',
  iam: 'rds-provisioner.aws-credentials',
};

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
  signIn(credential: Credential) {
    session.signOut();
    const key = KEYS[credential.kind];
    if (credential.kind === 'bearer') sessionStorage.setItem(key, credential.token);
    else sessionStorage.setItem(key, JSON.stringify(credential));
  },
  signOut() {
    for (const key of Object.values(KEYS)) sessionStorage.removeItem(key);
  },
};
