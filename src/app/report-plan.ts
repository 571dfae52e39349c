import { createHash } from 'node:crypto';
import { dbNameFromAnyBranch } from '../domain/naming.js';
import { stepBranches } from '../domain/pull-request-match.js';
import type { PlanReport } from '../domain/reports.js';
import type { RequestRecord } from '../domain/status.js';
import { parsePlanDocument } from '../domain/terraform-json.js';
import { summarisePlan } from '../domain/terraform-report.js';
import { PLAN_COMMENT_MARKER, renderPlanComment } from '../render/plan-comment.js';
import type { AppContext } from './context.js';
import type { PlanReportInput, PlanReportResult, ReportOutcome } from './pipeline-reports.js';

/**
 * What makes two plan reports the same plan: their commit and what the service takes from them (sha256
 * of the summary, not of the whole document: a few KB to hash instead of MBs to serialise again).
 */
function planDigest(plan: Omit<PlanReport, 'digest' | 'reportedAt'>): string {
  const { commit, pullRequest, terraformVersion, databases, other } = plan;
  return createHash('sha256')
    .update(JSON.stringify([commit, pullRequest, terraformVersion, databases, other]))
    .digest('hex');
}

/**
 * A pull request's plan: recorded on the request in flight on the branch, only when it comes from that
 * request's pull request and its branch's head commit, then shown on the pull request as one comment
 * edited in place. A replay changes nothing (the comment is ensured again, without a write when it
 * already says the same).
 */
export async function reportPlan(
  ctx: AppContext,
  input: PlanReportInput,
): Promise<ReportOutcome<PlanReportResult>> {
  const parsed = parsePlanDocument(input.plan, 'plan');
  if (!parsed.ok) return { kind: 'invalid', issues: parsed.issues };

  const record = await requestOnBranch(ctx, input.branch);
  if (!record)
    return { kind: 'not_found', message: `no request in flight on branch ${JSON.stringify(input.branch)}` };
  const number = record.pullRequest?.number;
  if (number === undefined)
    return {
      kind: 'conflict',
      message: `request ${record.id} has no pull request recorded yet; report again in a moment`,
    };
  if (number !== input.pull_request)
    return {
      kind: 'conflict',
      message: `pull request #${input.pull_request} is not request ${record.id}'s (#${number})`,
    };
  const head = await ctx.git.headOf(input.branch);
  if (head !== input.commit)
    return {
      kind: 'conflict',
      message: `stale: branch ${input.branch} is at ${head ?? '(gone)'}, not ${input.commit}; a plan of an older commit is not recorded`,
    };

  const summary = summarisePlan(parsed.value);
  const found = {
    commit: input.commit,
    pullRequest: number,
    terraformVersion: parsed.value.terraformVersion,
    databases: summary.databases.map((db) => ({
      ...db,
      unexpected: db.databaseDestroyed && !retires(record, db.dbName),
    })),
    other: summary.other,
  };
  const digest = planDigest(found);
  const previous = record.plan;
  let plan: PlanReport;
  let changed = false;
  if (previous?.digest === digest) plan = previous;
  else {
    plan = { ...found, digest, reportedAt: ctx.clock.now().toISOString() };
    const stored = await ctx.store.setPlan(record.id, plan, previous?.digest ?? null);
    if (stored === undefined) return { kind: 'not_found', message: `no request ${record.id}` };
    if (!stored)
      return {
        kind: 'conflict',
        message: 'another plan report was recorded at the same moment; report again',
      };
    changed = true;
    await ctx.store.note(record.id, ctx.clock.now(), planNote(plan));
  }
  await ctx.git.upsertPullRequestComment(number, PLAN_COMMENT_MARKER, renderPlanComment(plan));
  if (changed)
    ctx.logger.info('plan reported', {
      request_id: record.id,
      commit: input.commit,
      unexpected: plan.databases.some((db) => db.unexpected),
    });
  return { kind: 'ok', value: { requestId: record.id, changed, plan } };
}

/** The request in flight whose current step's branch this is, if any. */
async function requestOnBranch(ctx: AppContext, branch: string): Promise<RequestRecord | undefined> {
  const dbName = dbNameFromAnyBranch(branch, ctx.conventions);
  if (!dbName) return undefined;
  const id = await ctx.store.inFlight(dbName);
  const record = id ? await ctx.store.get(id) : undefined;
  return record && stepBranches(record, ctx.conventions).includes(branch) ? record : undefined;
}

/** Only a retirement asks for its own database to be destroyed. */
const retires = (record: RequestRecord, dbName: string) =>
  record.kind === 'retire' && record.request.db_name === dbName;

function planNote(plan: PlanReport): string {
  const total = (key: 'add' | 'change' | 'destroy' | 'replace') =>
    plan.databases.reduce((sum, db) => sum + db[key], plan.other[key]);
  const flagged = plan.databases.filter((db) => db.unexpected).map((db) => db.dbName);
  return `plan at ${plan.commit.slice(0, 12)}: ${total('add')} to add, ${total('change')} to change, ${total('destroy')} to destroy, ${total('replace')} to replace${flagged.length > 0 ? `; DESTROYS OR REPLACES ${flagged.join(', ')}` : ''}`;
}
