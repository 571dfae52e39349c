/**
 * Matching an AWS caller against an IAM principal someone configured (the stack's pipeline roles, the
 * policy's `access.principals`). Pure: no I/O.
 */

/** An IAM role's ARN, with any path: partition, account, name. */
export const IAM_ROLE_ARN = /^arn:([a-z-]+):iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;
/** A session of an assumed role as STS names it: partition, account, role name (without its path). */
export const ASSUMED_ROLE_SESSION_ARN = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/** An IAM user's ARN, with any path. */
export const IAM_USER_ARN = /^arn:([a-z-]+):iam::(\d{12}):user\/(?:[^/]+\/)*([^/]+)$/;

/** Whether an ARN names something a caller can be: an IAM role or user, or one session of a role. */
export const isIamPrincipalArn = (arn: string): boolean =>
  IAM_ROLE_ARN.test(arn) || IAM_USER_ARN.test(arn) || ASSUMED_ROLE_SESSION_ARN.test(arn);

/**
 * Whether a caller is the configured principal: that principal itself (a user, or the very session), or
 * a session of that role. A session's ARN names the role without its path
 * (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION` for `arn:aws:iam::ACCOUNT:role/path/NAME`), so
 * partition, account and name are compared.
 */
export function isPrincipal(caller: string, configured: string): boolean {
  if (caller === configured) return true;
  const role = IAM_ROLE_ARN.exec(configured);
  const session = ASSUMED_ROLE_SESSION_ARN.exec(caller);
  return (
    role !== null &&
    session !== null &&
    role[1] === session[1] &&
    role[2] === session[2] &&
    role[3] === session[3]
  );
}
