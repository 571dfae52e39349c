import type { Principal } from '../domain/access.js';
import { estimateCost } from '../domain/cost.js';
import { possibleFiles } from '../domain/layout.js';
import type { FieldIssue } from '../domain/request.js';
import { resolve } from '../domain/resolve.js';
import { queuedRecord, type RequestRecord } from '../domain/status.js';
import { checkRequest } from '../domain/validate.js';
import { generatedForRequest } from '../render/terraform.js';
import { type Forbidden, recordAccepted, refusedRequest } from './authorize.js';
import type { AppContext } from './context.js';

export type AcceptOutcome =
  | { kind: 'accepted'; record: RequestRecord }
  | { kind: 'invalid'; issues: FieldIssue[] }
  | Forbidden
  | { kind: 'conflict'; requestId: string | null; message: string };

/**
 * Checks that the principal may ask for a database in the environment the request names (403 first,
 * recorded in the audit), then the request against the schema and the policy (every problem in one
 * answer), refuses a database that exists or is in flight, and records it as queued together with its
 * queue message. The principal is the requester.
 */
export async function acceptRequest(
  ctx: AppContext,
  input: unknown,
  principal: Principal,
): Promise<AcceptOutcome> {
  const refused = await refusedCreation(ctx, principal, input);
  if (refused) return refused;
  const requester = principal.id;
  const checked = checkRequest(input, ctx.policy.policy);
  if (!checked.ok) return { kind: 'invalid', issues: checked.issues };
  const request = checked.value;

  const onBase = await existingOnBase(ctx, request.db_name);
  if (onBase) return onBase;

  const id = ctx.newRequestId();
  // The estimate of what the worker will write: the spec resolved under this request's id.
  const resolved = resolve(request, ctx.policy.policy, { requestId: id });
  if (!resolved.ok) return { kind: 'invalid', issues: resolved.issues };
  const record = queuedRecord(
    id,
    request,
    requester,
    ctx.clock.now(),
    'create',
    null,
    estimateCost(resolved.value),
  );
  const submitted = await ctx.intake.submit(record);
  if (!submitted.ok) {
    return {
      kind: 'conflict',
      requestId: submitted.inFlight,
      message: `a request for database ${request.db_name} is still in flight: ${submitted.inFlight}`,
    };
  }
  ctx.logger.info('request accepted', {
    request_id: id,
    db_name: request.db_name,
    environment: request.environment,
    requester,
  });
  await recordAccepted(ctx, principal, record);
  return { kind: 'accepted', record };
}

/**
 * Whether the principal may not ask for a database where the body says (a body not yet validated): judged
 * only when it names an environment of the policy; any other body is left to the validation (400).
 */
export async function refusedCreation(
  ctx: AppContext,
  principal: Principal,
  input: unknown,
): Promise<Forbidden | undefined> {
  if (typeof input !== 'object' || input === null) return undefined;
  const field = (name: string) => {
    const value: unknown = Object.hasOwn(input, name) ? (input as Record<string, unknown>)[name] : undefined;
    return typeof value === 'string' ? value : null;
  };
  const environment = field('environment');
  if (environment === null || !Object.hasOwn(ctx.policy.policy.environments, environment)) return undefined;
  return refusedRequest(ctx, principal, 'create', environment, field('db_name'));
}

/**
 * A conflict when the database's file is on the base branch already, in any environment: someone asked
 * for it before, and a name is one database (one cluster identifier, one module address).
 */
export async function existingOnBase(
  ctx: AppContext,
  dbName: string,
): Promise<Extract<AcceptOutcome, { kind: 'conflict' }> | undefined> {
  const { conventions } = ctx;
  for (const path of possibleFiles(conventions, dbName, Object.keys(ctx.policy.policy.environments))) {
    const existing = await ctx.git.readFile(conventions.base, path);
    if (existing === null) continue;
    return {
      kind: 'conflict',
      requestId: generatedForRequest(existing),
      message: `database ${dbName} already exists: ${path} is on ${conventions.base}`,
    };
  }
  return undefined;
}
