import { ownValue } from '../domain/own-keys.js';
import type { AttributeChanges, DriftState, DriftStatus } from '../domain/reports.js';
import { parsePlanDocument } from '../domain/terraform-json.js';
import { driftByDatabase } from '../domain/terraform-report.js';
import type { AppContext } from './context.js';
import { updateDatabaseReport } from './database-reports.js';
import type { DriftReportInput, DriftReportResult, ReportOutcome } from './pipeline-reports.js';

type Verdict = DriftReportResult['databases'][number];

/**
 * The nightly plan of the base branch, per database it covers: drifted (the plan's resource_drift, or a
 * difference no merged-and-applied change explains), pending (only a merged and applied change waiting
 * for the maintenance window), or clean. `since` is kept while a database stays drifted. Reports are
 * ordered by the plan's own timestamp: an older plan never overwrites a newer one.
 */
export async function reportDrift(
  ctx: AppContext,
  input: DriftReportInput,
): Promise<ReportOutcome<DriftReportResult>> {
  const parsed = parsePlanDocument(input.plan, 'plan');
  if (!parsed.ok) return { kind: 'invalid', issues: parsed.issues };
  const { base } = ctx.conventions;
  if (input.branch !== base)
    return {
      kind: 'conflict',
      message: `drift is planned on the base branch ${base}, not ${JSON.stringify(input.branch)}`,
    };
  if (!(await ctx.git.containsCommit(base, input.commit)))
    return { kind: 'not_found', message: `commit ${input.commit} is not on ${base}` };

  const reportedAt = ctx.clock.now().toISOString();
  const planTimestamp = parsed.value.timestamp ?? reportedAt;
  const verdicts: Verdict[] = [];
  let stale = 0;
  for (const [dbName, found] of driftByDatabase(parsed.value)) {
    const waiting = found.changed.length > 0 && (await waitsForWindow(ctx, dbName));
    const drifted = waiting ? found.drifted : merge(found.drifted, found.changed);
    const pending = waiting ? found.changed : [];
    const status: DriftStatus = drifted.length > 0 ? 'drifted' : pending.length > 0 ? 'pending' : 'clean';
    let outcome = 'same' as 'stored' | 'same' | 'stale';
    await updateDatabaseReport(ctx, dbName, (report) => {
      const held = report.drift;
      if (held && held.planTimestamp > planTimestamp) {
        outcome = 'stale';
        return undefined;
      }
      const since = status !== 'drifted' ? null : held?.status === 'drifted' ? held.since : planTimestamp;
      const drift: DriftState = {
        status,
        since,
        drifted,
        pending,
        commit: input.commit,
        planTimestamp,
        reportedAt,
      };
      if (held && sameVerdict(held, drift)) {
        outcome = 'same';
        return undefined;
      }
      outcome = 'stored';
      return { ...report, drift };
    });
    if (outcome === 'stale') stale++;
    else verdicts.push({ dbName, status, changed: outcome === 'stored' });
  }
  if (verdicts.length === 0 && stale > 0)
    return {
      kind: 'conflict',
      message: `stale: a plan newer than ${planTimestamp} has been reported for every database this one covers`,
    };
  const changed = verdicts.filter((v) => v.changed && v.status !== 'clean').map((v) => v.dbName);
  if (changed.length > 0) ctx.logger.warn('drift reported', { databases: changed, commit: input.commit });
  return { kind: 'ok', value: { commit: input.commit, databases: verdicts } };
}

/**
 * Whether the database's latest request is a change merged and applied in an environment whose policy
 * applies changes in the maintenance window: the provider shows that update on every plan until AWS
 * performs it, which is not drift.
 */
async function waitsForWindow(ctx: AppContext, dbName: string): Promise<boolean> {
  const [latest] = (await ctx.store.list({ dbName, limit: 1 })).records;
  if (latest?.kind !== 'change') return false;
  if (latest.status !== 'applying' && latest.status !== 'ready') return false;
  const environment = ownValue(ctx.policy.policy.environments, latest.request.environment);
  return environment !== undefined && !environment.apply_immediately;
}

/** Two lists of attribute changes as one, per address, sorted. */
function merge(a: AttributeChanges[], b: AttributeChanges[]): AttributeChanges[] {
  const byAddress = new Map<string, Set<string>>();
  for (const { address, attributes } of [...a, ...b]) {
    const set = byAddress.get(address) ?? new Set<string>();
    for (const attribute of attributes) set.add(attribute);
    byAddress.set(address, set);
  }
  return [...byAddress]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([address, set]) => ({ address, attributes: [...set].sort() }));
}

/** The same finding as the one held: a replay, or a night with nothing new, writes nothing. */
const sameVerdict = (held: DriftState, next: DriftState) =>
  held.status === next.status &&
  held.commit === next.commit &&
  held.planTimestamp === next.planTimestamp &&
  JSON.stringify([held.drifted, held.pending]) === JSON.stringify([next.drifted, next.pending]);
