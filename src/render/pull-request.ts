import { estimateCost } from '../domain/cost.js';
import type { DatabaseSpec } from '../domain/spec.js';
import { costSection } from './cost-section.js';
import { requestIdMarker } from './pull-request-marker.js';
import { deploymentTitle } from './terraform.js';

export interface PullRequestContext {
  spec: DatabaseSpec;
  /** Who asked: the authenticated identity that sent the request. */
  requester: string;
  /** Where the policy came from, e.g. the config file's path. */
  policySource: string;
  branch: string;
  base: string;
}

export interface PullRequestText {
  title: string;
  body: string;
}

/**
 * Any text shown as it is and inert on GitHub: one code span. Inside a code span GitHub makes no @mention,
 * no issue or commit reference, no link and no HTML, so every value a requester chose (owner, tags, their
 * name) goes through here. The fence is longer than any run of backticks in the text; a space pads it when
 * the text starts or ends with a backtick or with spaces (CommonMark strips one); line breaks become spaces.
 */
export function literal(text: string): string {
  const flat = text.replace(/\r\n?|\n/g, ' ') || ' ';
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = /^`|`$/.test(flat) || (/^ .* $/.test(flat) && flat.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** One row of a GFM table. A `|` in a cell, even inside a code span, must be escaped or it splits the cell. */
export function tableRow(cells: readonly string[]): string {
  return `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
}

const onOff = (on: boolean) => (on ? 'on' : 'off');

/**
 * Every resolved setting as a table row (name, cell), in the order a reviewer reads them. The creation's
 * table shows them all; a change's or a retirement's before/after table shows the ones that differ.
 */
export function settingRows(spec: DatabaseSpec): Array<[string, string]> {
  return [
    ['Database', `${literal(spec.dbName)}, initial database ${literal(spec.databaseName)}`],
    ['Environment', literal(spec.environment)],
    ['Engine', `${literal(spec.awsEngine)} ${literal(spec.engineVersion)}`],
    ['Deployment', deploymentTitle(spec)],
    ['Size', `${literal(spec.size)}: ${capacity(spec)}`],
    [
      'Instances',
      spec.deployment === 'instance'
        ? `1${spec.multiAz ? ', Multi-AZ standby' : ', single AZ'}`
        : instancesText(spec.instances),
    ],
    ['Owner', literal(spec.owner)],
    ['Deletion protection', onOff(spec.deletionProtection)],
    ['Backups', `${spec.backupRetentionDays} days, window ${spec.backupWindow} UTC`],
    ['Final snapshot', spec.skipFinalSnapshot ? 'skipped' : 'taken'],
    ['Maintenance window', `${spec.maintenanceWindow} UTC`],
    ['Enhanced monitoring', spec.monitoringInterval > 0 ? `every ${spec.monitoringInterval} s` : 'off'],
    [
      'Performance Insights',
      spec.performanceInsights ? `on, ${spec.performanceInsightsRetentionDays} days retention` : 'off',
    ],
    ['Log retention', `${spec.logRetentionDays} days`],
    ['Network', network(spec)],
    [
      'Tags',
      Object.entries(spec.tags)
        .map(([k, v]) => literal(`${k}=${v}`))
        .join(' '),
    ],
  ];
}

/** Who asked, the request, where the file goes, the Terraform root and the policy: one line each. */
export function requestFacts(spec: DatabaseSpec, ctx: Omit<PullRequestContext, 'spec'>): string[] {
  return [
    `- Requested by: ${literal(ctx.requester)}`,
    `- Request id: ${literal(spec.requestId)}`,
    `- File: ${literal(spec.location.file)} on ${literal(ctx.branch)}, into ${literal(ctx.base)}`,
    `- Terraform root: ${rootLine(spec)}`,
    `- Policy: environment ${literal(spec.environment)} of ${literal(ctx.policySource)}`,
  ];
}

/** The first step after opening: CI plans the pull request; `review` says what the plan should show. */
export function planStep(spec: DatabaseSpec, review: string): string[] {
  return spec.location.stateKey === null
    ? [
        '1. CI runs `terraform fmt -check`, `terraform validate` and `terraform plan` on this pull request and',
        `   posts the plan. Review it: ${review}`,
      ]
    : [
        '1. CI plans this root alone (`terraform fmt -check`, `terraform validate`, `terraform plan`) and posts',
        `   the plan. Review it: ${review}`,
      ];
}

/** What merging does: the saved plan applied to the environment, after an approval in prod. */
export function mergeApplies(spec: DatabaseSpec): string {
  return `Merging applies the saved plan to ${literal(spec.environment)}${spec.environment === 'prod' ? ' after a manual approval' : ''}`;
}

export function renderPullRequest(ctx: PullRequestContext): PullRequestText {
  const { spec } = ctx;
  const title = `Provision ${spec.engine} database ${spec.dbName} (${spec.environment})`;
  const body = [
    // First: the webhook reads the first marker in the body, and nothing a requester wrote comes before it.
    requestIdMarker(spec.requestId),
    '',
    `Provisions the ${spec.engine} database ${literal(spec.dbName)} in ${literal(spec.environment)}.`,
    '',
    ...requestFacts(spec, ctx),
    '',
    '## Resolved settings',
    '',
    '| Setting | Value |',
    '| --- | --- |',
    ...settingRows(spec).map((row) => tableRow(row)),
    '',
    'Always on, whatever the environment: storage encrypted with KMS; master password managed by RDS in',
    'Secrets Manager (never in code or state); not publicly accessible; IAM database authentication; TLS',
    'enforced by parameter group; copy tags to snapshots; automatic minor version upgrades; log exports;',
    'RDS Extended Support off.',
    '',
    ...costSection(estimateCost(spec), 'create'),
    '',
    '## What happens next',
    '',
    ...planStep(spec, 'it should only add resources for this database.'),
    `2. ${mergeApplies(spec)}; the request becomes \`merged\`.`,
    '3. Closing without merging creates nothing; the request becomes `closed`.',
    '',
  ].join('\n');
  return { title, body };
}

/** Where Terraform runs for this database: a root and state of its own, or the one shared root. */
function rootLine(spec: DatabaseSpec): string {
  const { root, stateKey } = spec.location;
  if (stateKey === null) return `${literal(root)}, shared by every database`;
  const region = spec.account ? `, region ${literal(spec.account.region)}` : '';
  const role = spec.account?.roleArn ? `, assuming ${literal(spec.account.roleArn)}` : '';
  return `${literal(root)}, its own state ${literal(stateKey)}${region}${role}`;
}

function capacity(spec: DatabaseSpec): string {
  if (spec.serverless) return `${spec.serverless.minCapacity}-${spec.serverless.maxCapacity} ACU`;
  const storage = spec.storage
    ? `, ${spec.storage.allocatedGb}-${spec.storage.maxAllocatedGb} GiB ${spec.storage.type}`
    : '';
  return `${literal(spec.instanceClass ?? 'db.serverless')}${storage}`;
}

function instancesText(n: number): string {
  if (n === 1) return '1 (writer)';
  return `${n} (writer and ${n - 1} reader${n > 2 ? 's' : ''})`;
}

function network(spec: DatabaseSpec): string {
  const n = spec.network;
  if (n.kind === 'live-variable')
    return `from ${literal(`var.networks["${n.environment}"]`)} in ${literal(spec.location.root)}`;
  const parts = [`VPC ${literal(n.vpcId)}`, `${n.subnetIds.length} subnets`];
  if (n.allowedSecurityGroupIds.length)
    parts.push(`ingress from ${n.allowedSecurityGroupIds.map(literal).join(', ')}`);
  if (n.allowedCidrBlocks.length) parts.push(`ingress from ${n.allowedCidrBlocks.map(literal).join(', ')}`);
  return parts.join('; ');
}
