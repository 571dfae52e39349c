import type { DatabaseSpec } from '../domain/spec.js';
import { requestIdMarker } from './pull-request-marker.js';
import { deploymentTitle } from './terraform.js';

export interface PullRequestContext {
  spec: DatabaseSpec;
  /** Who asked: the authenticated identity that sent the request. */
  requester: string;
  /** Where the policy came from, e.g. the config file's path. */
  policySource: string;
  filePath: string;
  branch: string;
  base: string;
}

export interface PullRequestText {
  title: string;
  body: string;
}

/** Text for a table cell or inline prose: no table breaks, no HTML, no code spans to escape from. */
export function mdText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[|`*_[\]#]/g, (ch) => `\\${ch}`)
    .replace(/\r?\n/g, ' ');
}

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;
const onOff = (on: boolean) => (on ? 'on' : 'off');

export function renderPullRequest(ctx: PullRequestContext): PullRequestText {
  const { spec } = ctx;
  const title = `Provision ${spec.engine} database ${spec.dbName} (${spec.environment})`;
  const rows: Array<[string, string]> = [
    ['Database', `${code(spec.dbName)}, initial database ${code(spec.databaseName)}`],
    ['Environment', code(spec.environment)],
    ['Engine', `${code(spec.awsEngine)} ${code(spec.engineVersion)}`],
    ['Deployment', deploymentTitle(spec)],
    ['Size', `${code(spec.size)}: ${capacity(spec)}`],
    [
      'Instances',
      spec.deployment === 'instance'
        ? `1${spec.multiAz ? ', Multi-AZ standby' : ', single AZ'}`
        : instancesText(spec.instances),
    ],
    ['Owner', mdText(spec.owner)],
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
        .map(([k, v]) => code(`${k}=${v}`))
        .join(' '),
    ],
  ];
  const body = [
    `Provisions the ${spec.engine} database ${code(spec.dbName)} in ${code(spec.environment)}.`,
    '',
    `- Requested by: ${mdText(ctx.requester)}`,
    `- Request id: ${code(spec.requestId)}`,
    `- File: ${code(ctx.filePath)} on ${code(ctx.branch)}, into ${code(ctx.base)}`,
    `- Policy: environment ${code(spec.environment)} of ${code(ctx.policySource)}`,
    '',
    '## Resolved settings',
    '',
    '| Setting | Value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    'Always on, whatever the environment: storage encrypted with KMS; master password managed by RDS in',
    'Secrets Manager (never in code or state); not publicly accessible; IAM database authentication; TLS',
    'enforced by parameter group; copy tags to snapshots; automatic minor version upgrades; log exports;',
    'RDS Extended Support off.',
    '',
    '## What happens next',
    '',
    '1. CI runs `terraform fmt -check`, `terraform validate` and `terraform plan` on this pull request and',
    '   posts the plan. Review it: it should only add resources for this database.',
    `2. Merging applies the saved plan to ${code(spec.environment)}${spec.environment === 'prod' ? ' after a manual approval' : ''}; the request becomes \`merged\`.`,
    '3. Closing without merging creates nothing; the request becomes `closed`.',
    '',
    requestIdMarker(spec.requestId),
    '',
  ].join('\n');
  return { title, body };
}

function capacity(spec: DatabaseSpec): string {
  if (spec.serverless) return `${spec.serverless.minCapacity}-${spec.serverless.maxCapacity} ACU`;
  const storage = spec.storage
    ? `, ${spec.storage.allocatedGb}-${spec.storage.maxAllocatedGb} GiB ${spec.storage.type}`
    : '';
  return `${code(spec.instanceClass ?? 'db.serverless')}${storage}`;
}

function instancesText(n: number): string {
  if (n === 1) return '1 (writer)';
  return `${n} (writer and ${n - 1} reader${n > 2 ? 's' : ''})`;
}

function network(spec: DatabaseSpec): string {
  const n = spec.network;
  if (n.kind === 'live-variable') return `from ${code(`var.networks["${n.environment}"]`)} in terraform/live`;
  const parts = [`VPC ${code(n.vpcId)}`, `${n.subnetIds.length} subnets`];
  if (n.allowedSecurityGroupIds.length)
    parts.push(`ingress from ${n.allowedSecurityGroupIds.map(code).join(', ')}`);
  if (n.allowedCidrBlocks.length) parts.push(`ingress from ${n.allowedCidrBlocks.map(code).join(', ')}`);
  return parts.join('; ');
}
