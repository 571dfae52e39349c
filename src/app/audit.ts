import type { Principal } from '../domain/access.js';
import type { AuditAction, AuditEntry } from '../ports.js';
import type { AppContext } from './context.js';

/** The actor of a call that named no one the service knows (no credential, or one that does not verify). */
export const UNAUTHENTICATED = '(unauthenticated)';

/** Longest text an entry keeps per field: a stranger's header cannot grow the trail without bound. */
const MAX_FIELD = 300;

/** Printable text only, bounded: what an entry keeps of text that may come from outside. */
export function auditText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return printable.length > MAX_FIELD ? `${printable.slice(0, MAX_FIELD - 1)}…` : printable;
}

export interface AuditFacts {
  /** The caller, or the name a refused credential claimed (a string), or none (UNAUTHENTICATED). */
  actor: Principal | string | null;
  action: AuditAction;
  outcome: AuditEntry['outcome'];
  target?: string | null;
  environment?: string | null;
  detail?: string | null;
}

/**
 * Records one entry of the audit trail, now: the one place entries are made (their id, time and bounds).
 * Called before the answer is sent, so an action the caller saw succeed is in the trail.
 */
export async function recordAudit(
  ctx: Pick<AppContext, 'audit' | 'clock' | 'newRequestId'>,
  facts: AuditFacts,
) {
  const { actor } = facts;
  const at = ctx.clock.now();
  const entry: AuditEntry = {
    // A UUID version 7 of the same moment: the trail lists newest first by id, and by day on DynamoDB.
    id: ctx.newRequestId(at),
    at: at.toISOString(),
    actor: auditText(actor === null ? UNAUTHENTICATED : typeof actor === 'string' ? actor : actor.id),
    role: actor !== null && typeof actor !== 'string' ? actor.role : null,
    action: facts.action,
    outcome: facts.outcome,
    target: facts.target == null ? null : auditText(facts.target),
    environment: facts.environment ?? null,
    detail: facts.detail == null ? null : auditText(facts.detail),
  };
  await ctx.audit.record(entry);
}
