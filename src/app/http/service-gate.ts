import type { Context, MiddlewareHandler } from 'hono';
import { mayDo, type ServiceAction } from '../../domain/access.js';
import type { AuditAction } from '../../ports.js';
import { recordAudit } from '../audit.js';
import type { AppContext } from '../context.js';
import type { ApiEnv } from './api-routes.js';

/** What a refused call is in the audit: the action it attempted and what on. */
export interface RefusedCall {
  action: AuditAction;
  target: string | null;
}

/**
 * Lets through only a principal whose role may do the service action (read, manage_tokens, read_audit);
 * anyone else gets 403 naming why, before any of the request is read or judged, recorded in the audit.
 * A refused read has no action of its own in the trail: it is `auth.refused` with the caller's role and
 * `METHOD PATH` as its target (a 401's has no role).
 */
export function requireServiceAction(
  ctx: AppContext,
  action: ServiceAction,
  refused: (c: Context<ApiEnv>) => RefusedCall = readRefused,
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    const decision = mayDo(principal, action);
    if (decision.allowed) return next();
    const call = refused(c);
    await recordAudit(ctx, {
      actor: principal,
      action: call.action,
      outcome: 'denied',
      target: call.target,
      detail: decision.reason,
    });
    return c.json({ error: 'forbidden' as const, message: decision.reason }, 403);
  };
}

export const readRefused = (c: Context): RefusedCall => ({
  action: 'auth.refused',
  target: `${c.req.method} ${c.req.path}`,
});
