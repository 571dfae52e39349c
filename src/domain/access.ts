/**
 * Who may do what: roles, the principal a runtime authenticated, and the policy's per-environment rules
 * (who may request, change, retire, merge; separation of duties). The one home of every access rule:
 * the HTTP app, the use cases and the web page's "what you may do" all ask here. Pure: no I/O.
 */
import { isPrincipal } from './iam-principal.js';
import { ownValue } from './own-keys.js';
import type { EnvironmentAccess, Policy } from './policy.js';

/** A person's role (requester < approver < admin), or the pipeline's (CI's reports, nothing else). */
export const ROLES = ['requester', 'approver', 'admin', 'pipeline'] as const;
export type Role = (typeof ROLES)[number];
/** The roles a person can hold; `pipeline` is CI's. */
export const PERSON_ROLES = ['requester', 'approver', 'admin'] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];

/** How a caller proved who they are. */
export const CREDENTIAL_KINDS = ['token', 'oidc', 'iam', 'api_key', 'github'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** Who is calling, as the runtime's authenticator established it, with the role they hold. */
export interface Principal {
  /**
   * The stable identity: what a request records as its requester and the audit as its actor. A personal
   * token's user (`alice`), an OIDC subject (the configured claim), an IAM principal's ARN, `api-key:ID`,
   * `github:LOGIN` (a merge on GitHub, from its webhook).
   */
  id: string;
  role: Role;
  /** The environments the role holds in; null: every environment. Outside them the caller may only read. */
  environments: readonly string[] | null;
  via: CredentialKind;
  /** A personal token's public id (via `token`), so the audit names which token acted. */
  tokenId?: string;
}

/** What a person does to a database in an environment; the policy says per environment which roles may. */
export const ENVIRONMENT_ACTIONS = ['request', 'change', 'retire', 'merge', 'close'] as const;
export type EnvironmentAction = (typeof ENVIRONMENT_ACTIONS)[number];

/** What is not tied to an environment. */
export const SERVICE_ACTIONS = ['read', 'report', 'manage_tokens', 'read_audit'] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/** Allowed, or why not in words fit for the caller (the 403's message and the audit's detail). */
export type Decision = { allowed: true } | { allowed: false; reason: string };

/** The roles each service-wide action needs. */
const SERVICE_ROLES: Record<ServiceAction, readonly Role[]> = {
  read: PERSON_ROLES,
  report: ['pipeline'],
  manage_tokens: ['admin'],
  read_audit: ['approver', 'admin'],
};

const SERVICE_WORDS: Record<ServiceAction, string> = {
  read: 'reads databases and requests',
  report: 'reports what CI did',
  manage_tokens: 'manages tokens',
  read_audit: 'reads the audit trail',
};

/**
 * Whether the principal may do a service-wide action: `read` (every person's role), `report` (pipeline
 * only), `manage_tokens` (admin), `read_audit` (approver, admin). Managing tokens needs an admin in
 * every environment: a token can be made for any of them, so an admin scoped to some must not.
 */
export function mayDo(principal: Principal, action: ServiceAction): Decision {
  const roles = SERVICE_ROLES[action];
  if (!roles.includes(principal.role)) {
    if (principal.role === 'pipeline') return refused(PIPELINE_ONLY_REPORTS);
    return refused(
      `only ${anyOf(roles)} ${SERVICE_WORDS[action]}; ${principal.id} is ${article(principal.role)}`,
    );
  }
  if (action === 'manage_tokens' && principal.environments !== null)
    return refused(
      `${scopeWords(principal)}; managing tokens needs an admin in every environment (a token can be made for any)`,
    );
  return ALLOWED;
}

/** The request an action on a pull request is about: who asked for it (separation of duties). */
export interface ActedOn {
  requester: string;
}

const ENVIRONMENT_WORDS: Record<EnvironmentAction, string> = {
  request: 'ask for a database',
  change: 'change a database',
  retire: 'retire a database',
  merge: 'merge a pull request',
  close: 'close a pull request',
};

/**
 * Whether the principal may do an action on a database in an environment, by the policy's
 * `environments.<env>.access` and the principal's environment scope. `merge` with the environment's
 * `separate_duties`: never by whoever asked for the request (`actedOn.requester`). `close`: the merge
 * roles, or whoever asked (withdrawing their own request).
 */
export function mayInEnvironment(
  principal: Principal,
  action: EnvironmentAction,
  environment: string,
  policy: Policy,
  actedOn?: ActedOn,
): Decision {
  const env = ownValue(policy.environments, environment);
  if (env === undefined)
    return refused(
      `there is no environment ${environment} in the policy; environments: ${Object.keys(policy.environments).join(', ')}`,
    );
  if (principal.role === 'pipeline') return refused(PIPELINE_ONLY_REPORTS);
  if (principal.environments !== null && !principal.environments.includes(environment))
    return refused(`${scopeWords(principal)}; in ${environment} ${principal.id} may only read`);
  const key = `environments.${environment}.access`;
  const { access } = env;
  const ownRequest = actedOn !== undefined && actedOn.requester === principal.id;
  if (action === 'close') {
    if (holds(access.merge, principal.role) || ownRequest) return ALLOWED;
    return refused(
      `in ${environment} ${article(principal.role)} cannot close someone else's pull request (${key}.merge allows ${listed(access.merge)}; whoever asked may close their own)`,
    );
  }
  const allowed = access[action];
  if (!holds(allowed, principal.role))
    return refused(
      `in ${environment} ${article(principal.role)} cannot ${ENVIRONMENT_WORDS[action]} (${key}.${action} allows ${listed(allowed)})`,
    );
  if (action === 'merge' && access.separate_duties && ownRequest)
    return refused(
      `in ${environment} whoever asked for a database cannot merge its pull request (${key}.separate_duties)`,
    );
  return ALLOWED;
}

/**
 * The principal for an identity the runtime proved but the policy maps to a role (an IAM principal, an
 * API key, an OIDC subject): the first of `access.principals` that matches (an IAM role's entry matches
 * its sessions), else the role the credential claims (OIDC's role claim, when one of PERSON_ROLES), else
 * `access.default_role`; null when that is null (the caller has no role: 403 on every route).
 */
export function mappedPrincipal(
  identity: string,
  via: CredentialKind,
  policy: Policy,
  claimedRole?: string,
): Principal | null {
  const matches = (id: string) => (via === 'iam' ? isPrincipal(identity, id) : identity === id);
  const entry = policy.access.principals.find((p) => matches(p.id));
  if (entry) return { id: identity, role: entry.role, environments: entry.environments ?? null, via };
  const role = isPersonRole(claimedRole) ? claimedRole : policy.access.default_role;
  return role === null ? null : { id: identity, role, environments: null, via };
}

/** What a principal may do, for GET /whoami and the web page (which offers only what is allowed). */
export interface Capabilities {
  service: Record<ServiceAction, boolean>;
  /** Per environment of the policy, per action; `merge` and `close` as for someone else's request. */
  environments: Record<string, Record<EnvironmentAction, boolean>>;
}

export function capabilities(principal: Principal, policy: Policy): Capabilities {
  const each = <A extends string>(actions: readonly A[], may: (action: A) => Decision) =>
    Object.fromEntries(actions.map((action) => [action, may(action).allowed])) as Record<A, boolean>;
  return {
    service: each(SERVICE_ACTIONS, (action) => mayDo(principal, action)),
    environments: Object.fromEntries(
      Object.keys(policy.environments).map((env) => [
        env,
        each(ENVIRONMENT_ACTIONS, (action) => mayInEnvironment(principal, action, env, policy)),
      ]),
    ),
  };
}

const ALLOWED: Decision = { allowed: true };
const refused = (reason: string): Decision => ({ allowed: false, reason });

const PIPELINE_ONLY_REPORTS = "the pipeline's role reports what CI did (POST /reports/*) and nothing else";

export const isPersonRole = (value: unknown): value is PersonRole =>
  (PERSON_ROLES as readonly unknown[]).includes(value);

const holds = (roles: EnvironmentAccess['merge'], role: Role) => (roles as readonly Role[]).includes(role);

/** `alice's approver role holds in dev only` */
function scopeWords({ id, role, environments }: Principal): string {
  const where = environments?.length ? `in ${environments.join(', ')} only` : 'in no environment';
  return `${id}'s ${role} role holds ${where}`;
}

const article = (role: Role) => `${role === 'admin' || role === 'approver' ? 'an' : 'a'} ${role}`;

const anyOf = (roles: readonly Role[]) => roles.map(article).join(' or ');

const listed = (roles: readonly Role[]) => (roles.length === 0 ? 'no role' : roles.join(', '));
