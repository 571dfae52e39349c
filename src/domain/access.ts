/**
 * Who may do what: roles, the principal a runtime authenticated, and the policy's per-environment rules
 * (who may request, change, retire, merge; separation of duties). The one home of every access rule:
 * the HTTP app, the use cases and the web page's "what you may do" all ask here. Pure: no I/O.
 */
import type { Policy } from './policy.js';

/** A person's role (requester < approver < admin), or the pipeline's (CI's reports, nothing else). */
export const ROLES = ['requester', 'approver', 'admin', 'pipeline'] as const;
export type Role = (typeof ROLES)[number];
/** The roles a person can hold; `pipeline` is CI's. */
export const PERSON_ROLES = ['requester', 'approver', 'admin'] as const;

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

/**
 * Whether the principal may do a service-wide action: `read` (every person's role), `report` (pipeline
 * only), `manage_tokens` (admin), `read_audit` (approver, admin).
 */
export function mayDo(principal: Principal, action: ServiceAction): Decision {
  void principal;
  void action;
  throw new Error('not implemented: mayDo');
}

/** The request an action on a pull request is about: who asked for it (separation of duties). */
export interface ActedOn {
  requester: string;
}

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
  void principal;
  void action;
  void environment;
  void policy;
  void actedOn;
  throw new Error('not implemented: mayInEnvironment');
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
  void identity;
  void via;
  void policy;
  void claimedRole;
  throw new Error('not implemented: mappedPrincipal');
}

/** What a principal may do, for GET /whoami and the web page (which offers only what is allowed). */
export interface Capabilities {
  service: Record<ServiceAction, boolean>;
  /** Per environment of the policy, per action; `merge` as for someone else's request. */
  environments: Record<string, Record<EnvironmentAction, boolean>>;
}

export function capabilities(principal: Principal, policy: Policy): Capabilities {
  void principal;
  void policy;
  throw new Error('not implemented: capabilities');
}
