import { estimateRetirement } from '../domain/cost.js';
import type { DatabaseSpec } from '../domain/spec.js';
import { costSection } from './cost-section.js';
import {
  finalSnapshotName,
  KMS_KEY_DELETION_WINDOW_DAYS,
  moduleResources,
  rootAddress,
} from './module-resources.js';
import {
  literal,
  mergeApplies,
  type PullRequestContext,
  type PullRequestText,
  planStep,
  requestFacts,
  tableRow,
} from './pull-request.js';
import { type ChangedRow, changedRows, changedTable } from './pull-request-change.js';
import { requestIdMarker } from './pull-request-marker.js';

/**
 * The pull requests of a retirement. Terraform cannot destroy a database under deletion protection, and
 * a destroy uses the final-snapshot settings in the state, so a protected database (or one whose final
 * snapshot must be turned on) goes in two steps: 'unprotect' applies those settings, 'remove' takes the
 * file away. Pure.
 */

export interface RetirePullRequestContext extends Omit<PullRequestContext, 'spec'> {
  /**
   * The retire request's id, for the marker that ties each pull request to it. Not the spec's: the file on
   * the base branch names the request that last wrote it.
   */
  requestId: string;
  /** The database as the file on the base branch has it. */
  spec: DatabaseSpec;
  step: 'unprotect' | 'remove';
  /**
   * Step 1's settings (src/domain/retire.ts unprotectedSpec): required for 'unprotect'; for 'remove', when
   * `spec` is still the file from before step 1.
   */
  unprotected?: DatabaseSpec;
  /** Whether the environment's policy keeps a final snapshot (src/domain/retire.ts keepsFinalSnapshot). */
  keepsFinalSnapshot: boolean;
  /** Step 1's pull request, when there was one ('remove' only). */
  previousPullRequest?: { number: number; url: string };
}

export function renderRetirePullRequest(ctx: RetirePullRequestContext): PullRequestText {
  if (ctx.step === 'remove') return removeText(ctx);
  if (!ctx.unprotected) throw new Error("a retirement's step 1 needs the unprotected settings");
  return unprotectText(ctx, ctx.unprotected);
}

/** The cluster or instance: the resource whose deletion protection and final snapshot matter. */
const databaseAddress = (spec: DatabaseSpec) =>
  rootAddress(spec, spec.deployment === 'instance' ? 'aws_db_instance.this[0]' : 'aws_rds_cluster.this[0]');

function unprotectText(ctx: RetirePullRequestContext, unprotected: DatabaseSpec): PullRequestText {
  const { spec } = ctx;
  const after: DatabaseSpec = { ...unprotected, requestId: ctx.requestId };
  const lifts = spec.deletionProtection && !after.deletionProtection;
  const snapshotOn = spec.skipFinalSnapshot && !after.skipFinalSnapshot;
  const doing =
    [lifts && 'lift deletion protection', snapshotOn && 'turn on the final snapshot']
      .filter((d): d is string => typeof d === 'string')
      .join(' and ') || 'apply the settings the destroy needs';
  const title = `Retire ${spec.dbName} (${spec.environment}), step 1 of 2: ${doing}`;
  const rows = changedRows(spec, after).map(
    ([name, from, to]): ChangedRow =>
      name === 'Final snapshot' && !after.skipFinalSnapshot
        ? [name, from, `${to}, as ${literal(finalSnapshotName(after))}`]
        : [name, from, to],
  );
  const address = literal(databaseAddress(after));
  const body = [
    requestIdMarker(ctx.requestId),
    '',
    `Retires the ${spec.engine} database ${literal(spec.dbName)} in ${literal(spec.environment)}, step 1 of 2: ${doing}. Nothing is destroyed by this pull request.`,
    '',
    ...requestFacts(after, ctx),
    '',
    '## Why two steps',
    '',
    'Terraform cannot destroy a database under deletion protection, and a destroy uses the final-snapshot',
    'settings already in the state, not those of a file that is being removed. So this step applies the',
    'settings the destroy needs; step 2 removes the file, and its apply destroys the database.',
    '',
    '## What changes',
    '',
    ...changedTable(rows),
    '',
    '## What applying it does',
    '',
    ...(lifts
      ? [
          `- Deletion protection goes off on ${address} at once: no restart; the database keeps running and serving.`,
        ]
      : []),
    ...(snapshotOn
      ? [
          `- The final snapshot setting (${literal(finalSnapshotName(after))}) lives in Terraform's state only: AWS sees no change.`,
        ]
      : []),
    '- Nothing is destroyed by this pull request.',
    '',
    ...costSection(estimateRetirement(spec), 'retire'),
    '',
    '## What happens next',
    '',
    ...planStep(after, `it should update ${address} in place and nothing else.`),
    `2. ${mergeApplies(after)}. When it merges, the service opens step 2: a pull request that removes the file, whose apply destroys the database.`,
    '3. Closing without merging changes nothing, and the retirement stops; the request becomes `closed`.',
    '',
  ].join('\n');
  return { title, body };
}

function removeText(ctx: RetirePullRequestContext): PullRequestText {
  // What the destroy runs with: step 1's settings when there was one, else the file as it is.
  const spec: DatabaseSpec = { ...(ctx.unprotected ?? ctx.spec), requestId: ctx.requestId };
  if (spec.deletionProtection)
    throw new Error(`${spec.dbName} is under deletion protection: its retirement needs step 1 first`);
  if (ctx.keepsFinalSnapshot && spec.skipFinalSnapshot)
    throw new Error(
      `${spec.dbName} skips its final snapshot, which the policy keeps: step 1 must turn it on`,
    );
  const previous = ctx.previousPullRequest;
  const title = `Retire ${spec.engine} database ${spec.dbName} (${spec.environment})${previous ? ', step 2 of 2' : ''}`;
  const db = literal(spec.dbName);
  const snapshot = literal(finalSnapshotName(spec));
  const kept = !spec.skipFinalSnapshot;
  const body = [
    requestIdMarker(ctx.requestId),
    '',
    '> [!CAUTION]',
    `> Merging this pull request **destroys** the ${spec.engine} database ${db} in ${literal(spec.environment)} and every resource listed below.`,
    kept
      ? `> A final snapshot, ${snapshot}, is kept; read "Final snapshot" below before the key it is encrypted with goes.`
      : '> No final snapshot is taken: **the data is gone** once the apply runs.',
    '',
    `Retires the ${spec.engine} database ${db} in ${literal(spec.environment)}${previous ? `, step 2 of 2 (step 1: ${pullRequestLink(previous)})` : ''}: this pull request removes its file, so the apply destroys it.`,
    '',
    ...requestFacts(spec, ctx),
    '',
    '## What is destroyed',
    '',
    '| Resource | What |',
    '| --- | --- |',
    ...moduleResources(spec).map((r) => tableRow([literal(rootAddress(spec, r.address)), r.what])),
    '',
    `With the database go the master user secret RDS manages in Secrets Manager and its Performance Insights data. Its automated backups are kept for their retention period (${spec.backupRetentionDays} days; the module's \`delete_automated_backups = false\`).`,
    '',
    '## Final snapshot',
    '',
    ...(kept
      ? [
          `RDS takes a final snapshot, ${snapshot}, before it deletes the database; it stays until someone deletes it.`,
          '',
          `**The snapshot, like the automated backups, is encrypted with this database's KMS key, which this pull request schedules for deletion: after ${KMS_KEY_DELETION_WINDOW_DAYS} days the key is gone and the snapshot can no longer be restored.** To keep it restorable, copy it with another KMS key within those ${KMS_KEY_DELETION_WINDOW_DAYS} days (\`aws rds ${spec.deployment === 'instance' ? 'copy-db-snapshot' : 'copy-db-cluster-snapshot'} --kms-key-id ...\`), or cancel the key's deletion.`,
        ]
      : [
          'None: the file says `skip_final_snapshot = true`, so the data is gone once the apply runs. Only the automated backups remain, for their retention period, encrypted with a KMS key that is scheduled for deletion.',
        ]),
    '',
    ...costSection(estimateRetirement(ctx.spec), 'retire'),
    '',
    '## What happens next',
    '',
    ...(previous
      ? [
          `Merge this only after step 1 (${pullRequestLink(previous)}) has been applied: until then the database is still protected, or its final snapshot is not yet set, and the destroy would fail or take no snapshot.`,
          '',
        ]
      : []),
    ...planStep(spec, 'it should destroy exactly the resources listed above, and nothing else.'),
    `2. ${mergeApplies(spec)}; the database is destroyed and the request becomes \`merged\`. The name ${db} is then free for a new request.`,
    '3. Closing without merging destroys nothing; the request becomes `closed`.',
    '',
  ].join('\n');
  return { title, body };
}

/** A link to the service's own pull request: its URL comes from the git host, never from a requester. */
function pullRequestLink(pr: { number: number; url: string }): string {
  const text = `pull request #${pr.number}`;
  return /^https?:\/\/[^\s<>]+$/.test(pr.url) ? `[${text}](<${pr.url}>)` : `${text}, ${literal(pr.url)}`;
}
