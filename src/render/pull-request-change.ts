import { CHANGEABLE, type ChangeV1 } from '../domain/change.js';
import { estimateChange } from '../domain/cost.js';
import { versionMove } from '../domain/engine-version.js';
import type { DatabaseSpec } from '../domain/spec.js';
import { costSection } from './cost-section.js';
import { parameterGroups, rootAddress } from './module-resources.js';
import {
  literal,
  mergeApplies,
  type PullRequestContext,
  type PullRequestText,
  planStep,
  requestFacts,
  settingRows,
  tableRow,
} from './pull-request.js';
import { requestIdMarker } from './pull-request-marker.js';
import { deploymentTitle } from './terraform.js';

/**
 * The pull request of a change: a before/after table of only the settings that move, and what applying
 * it does in AWS, in plain words, for each of them. Pure.
 */

export interface ChangePullRequestContext extends Omit<PullRequestContext, 'spec'> {
  /** The database as the file on the base branch has it. */
  before: DatabaseSpec;
  /** The database as this change leaves it (its request id is the change's). */
  after: DatabaseSpec;
  /** What the requester asked for. */
  change: ChangeV1;
}

/** One row of a before/after table: setting, before, after. */
export type ChangedRow = [setting: string, before: string, after: string];

/** Every setting of a spec as a row, the requester's tags one row each, then how changes reach AWS. */
function comparableRows(spec: DatabaseSpec): Map<string, string> {
  const rows = new Map(settingRows(spec).filter(([name]) => name !== 'Tags'));
  for (const [key, value] of Object.entries(spec.tags)) rows.set(`Tag ${literal(key)}`, literal(value));
  rows.set('Changes reach AWS', applyText(spec.applyImmediately));
  rows.set(
    'Major version upgrades',
    spec.allowMajorVersionUpgrade ? 'allowed (`allow_major_version_upgrade = true`)' : 'not allowed',
  );
  return rows;
}

/** The settings that differ between two specs, in the order of the creation's table; nothing else. */
export function changedRows(before: DatabaseSpec, after: DatabaseSpec): ChangedRow[] {
  const was = comparableRows(before);
  const will = comparableRows(after);
  const names = [...new Set([...was.keys(), ...will.keys()])];
  return names
    .map((name): ChangedRow => [name, was.get(name) ?? 'not set', will.get(name) ?? 'not set'])
    .filter(([, from, to]) => from !== to);
}

export function changedTable(rows: readonly ChangedRow[]): string[] {
  return ['| Setting | Before | After |', '| --- | --- | --- |', ...rows.map((row) => tableRow(row))];
}

function applyText(applyImmediately: boolean | null): string {
  if (applyImmediately === true) return 'at once (`apply_immediately = true`)';
  if (applyImmediately === false) return 'in the maintenance window (`apply_immediately = false`)';
  return 'in the maintenance window (the module default; the file does not set `apply_immediately`)';
}

/** When AWS carries out a modification that waits for apply_immediately, as the new file says. */
function when(spec: DatabaseSpec): string {
  if (spec.applyImmediately === true)
    return 'as soon as the apply runs (`apply_immediately = true` in this environment)';
  const why =
    spec.applyImmediately === false
      ? '`apply_immediately = false` in this environment'
      : "the file does not set `apply_immediately`, so the module's default, false, applies";
  return `in the next maintenance window, ${literal(spec.maintenanceWindow)} UTC, not when the apply runs (${why}); until then every plan shows the same update again`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const instanceId = (spec: DatabaseSpec, index: number) => literal(`${spec.dbName}-${index + 1}`);

/** What restarting every cluster instance, or the instance, means for the clients. */
function restartOutage(spec: DatabaseSpec, existing: number): string {
  if (spec.deployment === 'instance')
    return spec.multiAz
      ? 'RDS changes the Multi-AZ standby first and fails over to it: connections drop once, for about a minute'
      : 'the database is unavailable for several minutes while it restarts';
  return existing > 1
    ? "the writer's restart is a failover: a reader takes over and connections to the writer drop for a moment"
    : 'with no reader to fail over to, the database is unavailable while the writer restarts';
}

function instanceClassEffect(before: DatabaseSpec, after: DatabaseSpec): string[] {
  if (before.deployment !== after.deployment) return [];
  if (before.instanceClass === null || after.instanceClass === null) return [];
  if (before.instanceClass === after.instanceClass) return [];
  const existing = Math.min(before.instances, after.instances);
  const what =
    after.deployment === 'instance'
      ? 'the instance restarts with the new class'
      : `each of the ${plural(existing, 'existing cluster instance')} restarts with the new class`;
  return [
    `**Instance class** ${literal(before.instanceClass)} → ${literal(after.instanceClass)}: ${what}, ${when(after)}; ${restartOutage(after, existing)}.`,
  ];
}

function deploymentEffect(before: DatabaseSpec, after: DatabaseSpec): string[] {
  if (before.deployment === after.deployment) return [];
  const existing = Math.min(before.instances, after.instances);
  const from = literal(before.instanceClass ?? 'db.serverless');
  const to = literal(after.instanceClass ?? 'db.serverless');
  const range = after.serverless ?? before.serverless;
  const scaling = after.serverless
    ? `The cluster gains the Serverless v2 scaling range, ${range?.minCapacity}-${range?.maxCapacity} ACU (in place, no restart).`
    : `The cluster's Serverless v2 scaling range (${range?.minCapacity}-${range?.maxCapacity} ACU) is removed.`;
  return [
    `**Deployment** ${deploymentTitle(before)} → ${deploymentTitle(after)}, the same cluster: each of the ${plural(existing, 'existing cluster instance')} changes its class from ${from} to ${to}, a restart per instance like an instance class change, ${when(after)}; ${restartOutage(after, existing)}. ${scaling}`,
  ];
}

function serverlessEffect(before: DatabaseSpec, after: DatabaseSpec): string[] {
  const [was, will] = [before.serverless, after.serverless];
  if (!was || !will || before.deployment !== after.deployment) return [];
  if (was.minCapacity === will.minCapacity && was.maxCapacity === will.maxCapacity) return [];
  return [
    `**Serverless v2 capacity** ${was.minCapacity}-${was.maxCapacity} → ${will.minCapacity}-${will.maxCapacity} ACU: the cluster's scaling range changes in place; no restart.`,
  ];
}

function storageEffect(before: DatabaseSpec, after: DatabaseSpec): string[] {
  const [was, will] = [before.storage, after.storage];
  if (!was || !will) return [];
  const range = (s: typeof was) => `${s.allocatedGb}-${s.maxAllocatedGb} GiB`;
  if (will.allocatedGb > was.allocatedGb)
    return [
      `**Storage** ${range(was)} → ${range(will)}: grows in place, no restart, ${when(after)}; RDS then accepts the next storage change only after six hours.`,
    ];
  const kept = `RDS cannot shrink storage, so the ${literal(after.size)} size keeps what is allocated`;
  if (will.maxAllocatedGb > was.maxAllocatedGb)
    return [
      `**Storage autoscaling limit** ${was.maxAllocatedGb} → ${will.maxAllocatedGb} GiB: in place, no restart. The allocated ${was.allocatedGb} GiB stay: ${kept}.`,
    ];
  if (before.size !== after.size) return [`**Storage** stays at ${range(was)}: ${kept}.`];
  return [];
}

function instancesEffect(before: DatabaseSpec, after: DatabaseSpec): string[] {
  if (after.deployment === 'instance' || before.instances === after.instances) return [];
  const ids = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => instanceId(after, from + i)).join(', ');
  if (after.instances > before.instances) {
    const added = after.instances - before.instances;
    return [
      `**Instances** ${before.instances} → ${after.instances}: creates ${plural(added, 'reader')}, ${ids(before.instances, after.instances)}, at once and with no downtime; ${added === 1 ? 'it joins' : 'they join'} the reader endpoint when available.`,
    ];
  }
  const removed = before.instances - after.instances;
  return [
    `**Instances** ${before.instances} → ${after.instances}: deletes the highest-numbered ${removed === 1 ? 'instance' : `${removed} instances`}, ${ids(after.instances, before.instances)}, at once; connections to ${removed === 1 ? 'it' : 'them'} drop (should one be the writer after a failover, Aurora fails over to another instance first).`,
  ];
}

function engineVersionEffect(before: DatabaseSpec, after: DatabaseSpec): string[] {
  const move = versionMove(before.awsEngine, before.engineVersion, after.engineVersion);
  const versions = `${literal(before.engineVersion)} → ${literal(after.engineVersion)}`;
  const everyInstance = after.deployment === 'instance' ? '' : ', every instance of the cluster at once';
  if (move === 'minor-upgrade')
    return [
      `**Engine version** ${versions}, a minor upgrade: the database restarts to upgrade${everyInstance}, ${when(after)}; a few minutes of downtime. Automatic minor version upgrades stay on.`,
    ];
  if (move !== 'major-upgrade') return [];
  const groups = parameterGroups(after)
    .map((g) => `${g.what} ${literal(rootAddress(after, g.address))}`)
    .join(', ');
  const flag = before.allowMajorVersionUpgrade
    ? '`allow_major_version_upgrade = true`'
    : 'the file now says `allow_major_version_upgrade = true`, which RDS requires';
  return [
    `**Engine version** ${versions}, a major upgrade (${flag}): the database restarts with downtime${everyInstance}, from minutes to much longer for a large database, ${when(after)}. It replaces the ${groups} with ones for the new version, each new one created before the old one is destroyed. It cannot be reversed: going back means restoring a snapshot taken before it into a new database. Take a snapshot and test the application against ${literal(after.engineVersion)} first.`,
  ];
}

function ownerAndTagsEffect(before: DatabaseSpec, after: DatabaseSpec): string[] {
  const owner = before.owner !== after.owner;
  const tags = JSON.stringify(withoutOwner(before.tags)) !== JSON.stringify(withoutOwner(after.tags));
  if (!owner && !tags) return [];
  const what = owner
    ? `**Owner** ${literal(before.owner)} → ${literal(after.owner)}: the file's header and the \`owner\` tag change${tags ? ', with the other tags above,' : ''}`
    : '**Tags**: the tags above change';
  return [`${what} in place on every resource of the database, at once; no restart.`];
}

function applyImmediatelyEffect(before: DatabaseSpec, after: DatabaseSpec): string[] {
  if (before.applyImmediately === after.applyImmediately) return [];
  return [
    after.applyImmediately
      ? "**Changes reach AWS at once** from now on (the environment's policy says `apply_immediately = true`), this change included."
      : "**Changes wait for the maintenance window** (the environment's policy says `apply_immediately = false`); writing it down changes nothing in AWS.",
  ];
}

/** What applying the change does in AWS, one sentence per change. */
export function changeEffects(before: DatabaseSpec, after: DatabaseSpec): string[] {
  return [
    ...deploymentEffect(before, after),
    ...instanceClassEffect(before, after),
    ...serverlessEffect(before, after),
    ...storageEffect(before, after),
    ...instancesEffect(before, after),
    ...engineVersionEffect(before, after),
    ...ownerAndTagsEffect(before, after),
    ...applyImmediatelyEffect(before, after),
  ];
}

/** The title's summary: validated values only (sizes, counts, versions, deployments), never free text. */
function summary(before: DatabaseSpec, after: DatabaseSpec): string {
  const moves = [
    before.size !== after.size && `size ${before.size} → ${after.size}`,
    before.deployment !== after.deployment && `deployment ${before.deployment} → ${after.deployment}`,
    before.instances !== after.instances && `instances ${before.instances} → ${after.instances}`,
    before.engineVersion !== after.engineVersion &&
      `engine version ${before.engineVersion} → ${after.engineVersion}`,
    before.owner !== after.owner && 'owner',
    JSON.stringify(withoutOwner(before.tags)) !== JSON.stringify(withoutOwner(after.tags)) && 'tags',
  ].filter((m): m is string => typeof m === 'string');
  return moves.length > 0 ? moves.join(', ') : 'settings';
}

/** The fields the change named (validated names, never their free-text values). */
const asked = (change: ChangeV1) =>
  (CHANGEABLE as readonly string[])
    .filter((field) => Object.hasOwn(change, field))
    .map((field) => `\`${field}\``)
    .join(', ');

const withoutOwner = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).filter(([key]) => key !== 'owner'));

/** What the plan should show: in-place updates, plus what a change replaces or destroys. */
function review(before: DatabaseSpec, after: DatabaseSpec): string {
  const also = [
    after.instances > before.instances && after.deployment !== 'instance' && 'create the new readers',
    after.instances < before.instances && after.deployment !== 'instance' && 'destroy the removed instances',
    versionMove(before.awsEngine, before.engineVersion, after.engineVersion) === 'major-upgrade' &&
      'replace the groups named above',
  ].filter((m): m is string => typeof m === 'string');
  return also.length === 0
    ? "it should update this database's resources in place and replace nothing."
    : `it should update this database's resources in place, ${also.join(', ')}, and nothing else.`;
}

export function renderChangePullRequest(ctx: ChangePullRequestContext): PullRequestText {
  const { before, after } = ctx;
  const title = `Change ${after.engine} database ${after.dbName} (${after.environment}): ${summary(before, after)}`;
  const effects = changeEffects(before, after);
  const body = [
    // First: the webhook reads the first marker in the body, and nothing a requester wrote comes before it.
    requestIdMarker(after.requestId),
    '',
    `Changes the ${after.engine} database ${literal(after.dbName)} in ${literal(after.environment)}: only the settings below move; every other line of the file stays as it is.`,
    '',
    `- Asked for: ${asked(ctx.change)}`,
    ...requestFacts(after, ctx),
    '',
    '## What changes',
    '',
    ...changedTable(changedRows(before, after)),
    '',
    '## What applying it does',
    '',
    ...(effects.length > 0
      ? effects.map((effect) => `- ${effect}`)
      : ['- Nothing in AWS: the file changes, the database does not.']),
    '',
    ...costSection(estimateChange(before, after), 'change'),
    '',
    '## What happens next',
    '',
    ...planStep(after, review(before, after)),
    `2. ${mergeApplies(after)}; the request becomes \`merged\`.`,
    '3. Closing without merging changes nothing; the request becomes `closed`.',
    '',
  ].join('\n');
  return { title, body };
}
