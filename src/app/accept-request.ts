import { filePath } from '../domain/naming.js';
import { type FieldIssue, parseRequest, type RequestV1 } from '../domain/request.js';
import { resolve } from '../domain/resolve.js';
import { queuedRecord, type RequestRecord } from '../domain/status.js';
import { generatedForRequest } from '../render/terraform.js';
import type { AppContext } from './context.js';

export type AcceptOutcome =
  | { kind: 'accepted'; record: RequestRecord }
  | { kind: 'invalid'; issues: FieldIssue[] }
  | { kind: 'conflict'; requestId: string | null; message: string };

/**
 * Validates a request against the schema and the policy, refuses a database that exists or is in
 * flight, and records it as queued together with its queue message.
 */
export async function acceptRequest(
  ctx: AppContext,
  input: unknown,
  requester: string,
): Promise<AcceptOutcome> {
  const parsed = parseRequest(input);
  if (!parsed.ok) return { kind: 'invalid', issues: parsed.issues };
  return acceptParsedRequest(ctx, parsed.value, requester);
}

/** The same, for a body the HTTP layer has already checked against the request schema. */
export async function acceptParsedRequest(
  ctx: AppContext,
  request: RequestV1,
  requester: string,
): Promise<AcceptOutcome> {
  const id = ctx.newRequestId();
  const resolved = resolve(request, ctx.policy.policy, { requestId: id });
  if (!resolved.ok) return { kind: 'invalid', issues: resolved.issues };

  const onBase = await existingOnBase(ctx, request.db_name);
  if (onBase) return onBase;

  const record = queuedRecord(id, request, requester, ctx.clock.now());
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
  return { kind: 'accepted', record };
}

/** A conflict when the database's file is on the base branch already: someone asked for it before. */
export async function existingOnBase(
  ctx: AppContext,
  dbName: string,
): Promise<Extract<AcceptOutcome, { kind: 'conflict' }> | undefined> {
  const path = filePath(dbName, ctx.conventions);
  const existing = await ctx.git.readFile(ctx.conventions.base, path);
  if (existing === null) return undefined;
  return {
    kind: 'conflict',
    requestId: generatedForRequest(existing),
    message: `database ${dbName} already exists: ${path} is on ${ctx.conventions.base}`,
  };
}
