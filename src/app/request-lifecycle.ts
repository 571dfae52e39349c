import type { Principal } from '../domain/access.js';
import { applyChange } from '../domain/change.js';
import { type CostEstimate, estimateChange, estimateRetirement } from '../domain/cost.js';
import { requestBranch } from '../domain/naming.js';
import { ownValue } from '../domain/own-keys.js';
import type { FieldIssue } from '../domain/request.js';
import { retireRefusal, unprotectedSpec } from '../domain/retire.js';
import { queuedRecord, type RequestRecord } from '../domain/status.js';
import { unifiedDiff } from '../render/diff.js';
import { renderChangePullRequest } from '../render/pull-request-change.js';
import { renderRetirePullRequest } from '../render/pull-request-retire.js';
import { renderTerraform } from '../render/terraform.js';
import { recordAccepted, recordRequestRefusal, refusedRequest } from './authorize.js';
import type { AppContext } from './context.js';
import { databaseOnBase, notWrittenByUs } from './current-database.js';
import { DRY_RUN_ID } from './preview-request.js';

/** What a change or retirement of a database answers: accepted, a preview, or why not. */
export type LifecycleOutcome =
  | { kind: 'accepted'; record: RequestRecord }
  | {
      kind: 'preview';
      filePath: string;
      branch: string;
      base: string;
      /** The file as the pull request leaves it; '' when it removes it. */
      content: string;
      diff: string;
      pullRequest: { title: string; body: string };
      /** A change: the estimate after it, with before and the difference; a retirement: the saving. */
      cost: CostEstimate;
    }
  | { kind: 'invalid'; issues: FieldIssue[] }
  | { kind: 'not_found'; message: string }
  | { kind: 'forbidden'; message: string }
  | { kind: 'conflict'; requestId: string | null; message: string };

export interface LifecycleOptions {
  dryRun?: boolean;
}

const inFlightConflict = (dbName: string, id: string): LifecycleOutcome => ({
  kind: 'conflict',
  requestId: id,
  message: `a request for database ${dbName} is still in flight: ${id}`,
});

/** The database on the base branch, or the answer that stops a change or retirement of it. */
async function changeable(ctx: AppContext, dbName: string) {
  const onBase = await databaseOnBase(ctx, dbName);
  if (!onBase)
    return {
      stop: {
        kind: 'not_found',
        message: `no database ${dbName} on ${ctx.conventions.base}`,
      } as LifecycleOutcome,
    };
  const refusal = notWrittenByUs(onBase);
  if (refusal || onBase.file.kind !== 'generated')
    return {
      stop: {
        kind: 'conflict',
        requestId: onBase.file.kind === 'foreign' ? null : onBase.file.requestId,
        message: refusal ?? 'not generated',
      } as LifecycleOutcome,
    };
  return { onBase, current: onBase.file };
}

/**
 * A change to a database that exists: allowed to the principal in its environment (403 before the
 * change itself is judged, recorded in the audit), checked against the database and its environment's
 * policy (every problem in one answer), then queued like a creation, holding the database's lock.
 */
export async function requestChange(
  ctx: AppContext,
  dbName: string,
  input: unknown,
  principal: Principal,
  options: LifecycleOptions = {},
): Promise<LifecycleOutcome> {
  const found = await changeable(ctx, dbName);
  if (found.stop) return found.stop;
  const { onBase, current } = found;
  const refused = await refusedRequest(ctx, principal, 'change', current.spec.environment, dbName);
  if (refused) return refused;
  const requester = principal.id;
  const id = options.dryRun ? DRY_RUN_ID : ctx.newRequestId();
  const changed = applyChange(current, input, ctx.policy.policy, id);
  if (!changed.ok) return { kind: 'invalid', issues: changed.issues };
  const { change, request, spec } = changed.value;
  const cost = estimateChange(current.spec, spec);

  if (options.dryRun) {
    const inFlight = await ctx.store.inFlight(dbName);
    if (inFlight) return inFlightConflict(dbName, inFlight);
    const branch = requestBranch({ id, kind: 'change', dbName }, ctx.conventions);
    const content = renderTerraform(spec);
    const text = renderChangePullRequest({
      before: current.spec,
      after: spec,
      change,
      requester,
      policySource: ctx.policy.source,
      branch,
      base: ctx.conventions.base,
    });
    return previewOf(ctx, onBase, branch, content, text, cost);
  }
  return submit(
    ctx,
    principal,
    queuedRecord(id, request, requester, ctx.clock.now(), 'change', change, cost),
  );
}

/**
 * Retiring a database: allowed to the principal's role in its environment and by the environment's
 * policy (and only to whoever asked for it, where the policy says so), then queued like a creation,
 * holding the database's lock. Every refusal is recorded in the audit.
 */
export async function requestRetire(
  ctx: AppContext,
  dbName: string,
  principal: Principal,
  options: LifecycleOptions = {},
): Promise<LifecycleOutcome> {
  const found = await changeable(ctx, dbName);
  if (found.stop) return found.stop;
  const { onBase, current } = found;
  const requester = principal.id;
  const environment = current.spec.environment;
  const deny = async (reason: string): Promise<LifecycleOutcome> => {
    await recordRequestRefusal(ctx, principal, 'retire', environment, dbName, reason);
    return { kind: 'forbidden', message: reason };
  };
  const env = ownValue(ctx.policy.policy.environments, environment);
  if (!env)
    return deny(`environment ${environment} is no longer configured in the policy; retire it by hand`);
  const refused = await refusedRequest(ctx, principal, 'retire', environment, dbName);
  if (refused) return refused;
  const refusal = retireRefusal(env, environment, requester, await creatorOf(ctx, dbName));
  if (refusal) return deny(refusal);

  if (options.dryRun) {
    const inFlight = await ctx.store.inFlight(dbName);
    if (inFlight) return inFlightConflict(dbName, inFlight);
    const id = DRY_RUN_ID;
    const unprotected = unprotectedSpec(current.spec, env, id);
    const branch = requestBranch(
      { id, kind: 'retire', dbName, unprotect: unprotected !== null },
      ctx.conventions,
    );
    const content = unprotected ? renderTerraform(unprotected) : '';
    const text = renderRetirePullRequest({
      requestId: id,
      spec: current.spec,
      step: unprotected ? 'unprotect' : 'remove',
      ...(unprotected ? { unprotected } : {}),
      requester,
      policySource: ctx.policy.source,
      branch,
      base: ctx.conventions.base,
      keepsFinalSnapshot: !(unprotected ?? current.spec).skipFinalSnapshot,
    });
    return previewOf(ctx, onBase, branch, content, text, estimateRetirement(current.spec));
  }
  const id = ctx.newRequestId();
  return submit(
    ctx,
    principal,
    queuedRecord(
      id,
      current.request,
      requester,
      ctx.clock.now(),
      'retire',
      null,
      estimateRetirement(current.spec),
    ),
  );
}

/** What a dry run answers: the file as the pull request leaves it, its diff, and the pull request's text. */
function previewOf(
  ctx: AppContext,
  onBase: { path: string; content: string },
  branch: string,
  content: string,
  pullRequest: { title: string; body: string },
  cost: CostEstimate,
): LifecycleOutcome {
  return {
    kind: 'preview',
    filePath: onBase.path,
    branch,
    base: ctx.conventions.base,
    content,
    diff: unifiedDiff(onBase.path, onBase.content, content),
    pullRequest,
    cost,
  };
}

/** Who asked for the database: the requester of its newest creation the store knows of. */
async function creatorOf(ctx: AppContext, dbName: string): Promise<string | null> {
  const page = await ctx.store.list({ dbName, kind: 'create', status: 'merged', limit: 1 });
  return page.records[0]?.requester ?? null;
}

async function submit(
  ctx: AppContext,
  principal: Principal,
  record: RequestRecord,
): Promise<LifecycleOutcome> {
  const submitted = await ctx.intake.submit(record);
  if (!submitted.ok) return inFlightConflict(record.request.db_name, submitted.inFlight);
  ctx.logger.info('request accepted', {
    request_id: record.id,
    kind: record.kind,
    db_name: record.request.db_name,
    environment: record.request.environment,
    requester: record.requester,
  });
  await recordAccepted(ctx, principal, record);
  return { kind: 'accepted', record };
}
