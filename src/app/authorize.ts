import { type EnvironmentAction, mayInEnvironment, type Principal } from '../domain/access.js';
import type { RequestKind, RequestRecord } from '../domain/status.js';
import type { AuditAction } from '../ports.js';
import { recordAudit } from './audit.js';
import type { AppContext } from './context.js';

/** The audit action of each kind of request. */
const REQUEST_ACTIONS: Record<RequestKind, AuditAction> = {
  create: 'request.create',
  change: 'request.change',
  retire: 'request.retire',
};

/** What the policy calls each kind of request. */
const ENVIRONMENT_ACTIONS: Record<RequestKind, EnvironmentAction> = {
  create: 'request',
  change: 'change',
  retire: 'retire',
};

export type Forbidden = { kind: 'forbidden'; message: string };

/**
 * Why the principal may not ask for this kind of request on a database in an environment (recorded in
 * the audit as denied, target `db:NAME`), or undefined when they may. Asked before anything else about
 * the request is judged: whoever may not act there learns that first, and nothing else about it.
 */
export async function refusedRequest(
  ctx: AppContext,
  principal: Principal,
  kind: RequestKind,
  environment: string,
  dbName: string | null,
): Promise<Forbidden | undefined> {
  const decision = mayInEnvironment(principal, ENVIRONMENT_ACTIONS[kind], environment, ctx.policy.policy);
  if (decision.allowed) return undefined;
  await recordRequestRefusal(ctx, principal, kind, environment, dbName, decision.reason);
  return { kind: 'forbidden', message: decision.reason };
}

/** A request refused for a reason of its own (e.g. retire's owner_only), recorded as refusedRequest does. */
export async function recordRequestRefusal(
  ctx: AppContext,
  principal: Principal,
  kind: RequestKind,
  environment: string | null,
  dbName: string | null,
  reason: string,
): Promise<void> {
  await recordAudit(ctx, {
    actor: principal,
    action: REQUEST_ACTIONS[kind],
    outcome: 'denied',
    target: dbName === null ? null : `db:${dbName}`,
    environment,
    detail: reason,
  });
}

/** An accepted request in the audit: target its id. */
export async function recordAccepted(
  ctx: AppContext,
  principal: Principal,
  record: RequestRecord,
): Promise<void> {
  await recordAudit(ctx, {
    actor: principal,
    action: REQUEST_ACTIONS[record.kind],
    outcome: 'allowed',
    target: record.id,
    environment: record.request.environment,
    detail: `${record.kind} database ${record.request.db_name}`,
  });
}
