import type { AppliedState, DatabaseReport } from '../domain/reports.js';
import type { FieldIssue } from '../domain/request.js';
import { isPostMerge, type RequestRecord, type Status } from '../domain/status.js';
import { parsePlanDocument, parseStateDocument, type StateDocument } from '../domain/terraform-json.js';
import { applyFailureReason, connectionFromState, databasesInState } from '../domain/terraform-report.js';
import type { AppContext } from './context.js';
import { updateDatabaseReport } from './database-reports.js';
import type { ApplyReportInput, ApplyReportResult, ReportOutcome } from './pipeline-reports.js';

type Settled = ApplyReportResult['requests'][number];

/**
 * An apply's start or outcome at a base branch commit, for the requests whose pull requests merged as
 * that commit: started → applying; succeeded → ready, with the database's connection details read from
 * the state (a retirement: ready once the state no longer has it); failed → apply_failed with
 * Terraform's reason. A request a newer merge for its database has overtaken is stale: nothing of it is
 * recorded (409 when that is every request of the commit).
 */
export async function reportApply(
  ctx: AppContext,
  input: ApplyReportInput,
): Promise<ReportOutcome<ApplyReportResult>> {
  const checked = readDocuments(input);
  if ('issues' in checked) return { kind: 'invalid', issues: checked.issues };

  const records = (await ctx.store.mergedAt(input.commit)).filter(
    (record, i, all) => all.findIndex((r) => r.request.db_name === record.request.db_name) === i,
  );
  if (records.length === 0)
    return { kind: 'not_found', message: `no request merged as commit ${input.commit}` };

  const settled: Settled[] = [];
  const stale: string[] = [];
  for (const record of records) {
    const dbName = record.request.db_name;
    const report = await ctx.store.databaseReport(dbName);
    const overtaken = report.connection && report.connection.mergedAt > mergedTime(record);
    if (overtaken) {
      stale.push(`${dbName} (request ${report.connection?.requestId} merged since)`);
      continue;
    }
    settled.push(await settle(ctx, record, input, checked.state));
  }
  if (settled.length === 0)
    return {
      kind: 'conflict',
      message: `stale: a newer merge has been applied for ${stale.join(', ')}; an older commit's apply is not recorded`,
    };
  return { kind: 'ok', value: { commit: input.commit, requests: settled } };
}

/**
 * The documents the outcome needs, read and checked: every problem in one answer. A start needs none (the
 * plan about to be applied is checked when sent; `serve --after-merge` has none to send).
 */
function readDocuments(input: ApplyReportInput): { state: StateDocument | null } | { issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const need = (field: 'plan' | 'state' | 'log', present: boolean) => {
    if (!present) issues.push({ path: field, message: `is required when outcome is ${input.outcome}` });
  };
  if (input.outcome === 'succeeded') need('state', input.state !== undefined);
  if (input.outcome === 'failed') need('log', input.log !== undefined || input.state !== undefined);
  let state: StateDocument | null = null;
  if (input.plan !== undefined) {
    const plan = parsePlanDocument(input.plan, 'plan');
    if (!plan.ok) issues.push(...plan.issues);
  }
  if (input.state !== undefined) {
    const parsed = parseStateDocument(input.state, 'state');
    if (parsed.ok) state = parsed.value;
    else issues.push(...parsed.issues);
  }
  return issues.length > 0 ? { issues } : { state };
}

async function settle(
  ctx: AppContext,
  record: RequestRecord,
  input: ApplyReportInput,
  state: StateDocument | null,
): Promise<Settled> {
  const dbName = record.request.db_name;
  const at = ctx.clock.now();
  const commit = input.commit.slice(0, 12);
  const result = (status: Status, changed: boolean): Settled => ({
    requestId: record.id,
    dbName,
    status,
    changed,
  });
  // A retirement's first step (lifting deletion protection) applied: its request has moved on already.
  if (!isPostMerge(record.status)) {
    const detail = `apply ${input.outcome} at ${commit}`;
    if (record.history.some((h) => h.detail === detail)) return result(record.status, false);
    await ctx.store.note(record.id, at, detail);
    return result(record.status, true);
  }
  const move = async (to: Status, detail: string, failureReason?: string) => {
    const moved = await ctx.store.transition(record.id, to, {
      at,
      detail,
      ...(failureReason ? { failureReason } : {}),
    });
    if (moved?.changed) ctx.logger.info(detail, { request_id: record.id, db_name: dbName });
    return result(moved?.record.status ?? record.status, moved?.changed ?? false);
  };

  if (input.outcome === 'started') return move('applying', `apply started at ${commit}`);
  if (input.outcome === 'failed')
    return move('apply_failed', `apply failed at ${commit}`, applyFailureReason(input.log ?? ''));

  const present = state !== null && databasesInState(state).includes(dbName);
  if (record.kind === 'retire') {
    if (present)
      return move(
        'apply_failed',
        `apply at ${commit} left the database`,
        `the state after the apply at ${commit} still has module.${dbName}`,
      );
    await updateDatabaseReport(ctx, dbName, (report) =>
      report.connection && report.connection.mergedAt > mergedTime(record)
        ? undefined
        : { ...report, connection: null, drift: null },
    );
    return move('ready', `applied at ${commit}: retired`);
  }
  const details = state ? connectionFromState(state, dbName) : null;
  if (!details)
    return move(
      'apply_failed',
      `apply at ${commit} left no database`,
      `the state after the apply at ${commit} has no database in module.${dbName}`,
    );
  const applied: AppliedState = {
    details,
    commit: input.commit,
    requestId: record.id,
    mergedAt: mergedTime(record),
    appliedAt: at.toISOString(),
  };
  await updateDatabaseReport(ctx, dbName, (report) => newerConnection(report, applied));
  return move('ready', `applied at ${commit}: ready`);
}

/** The report with this apply's connection, unless it holds one from a later merge (or this one already). */
function newerConnection(report: DatabaseReport, applied: AppliedState): DatabaseReport | undefined {
  const held = report.connection;
  if (
    held &&
    (held.mergedAt > applied.mergedAt ||
      (held.commit === applied.commit && held.requestId === applied.requestId))
  )
    return undefined;
  return { ...report, connection: applied };
}

/** When the request's pull request merged: orders applies of one database. */
export function mergedTime(record: RequestRecord): string {
  return record.history.find((h) => h.status === 'merged')?.at ?? record.updatedAt;
}
