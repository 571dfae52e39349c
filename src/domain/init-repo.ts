/**
 * `init-repo`'s settings: what a new infrastructure repository needs (the state backend, each
 * environment's region, role and network, the pipeline) from flags, checked by the policy's own rules.
 * Pure: the caller reads the policy file and the repository; this says what goes where, or every problem
 * at once, each naming its flag.
 */
import { isDeepStrictEqual } from 'node:util';
import { type Document, parseDocument } from 'yaml';
import { AWS_REGION } from './aws-region.js';
import type { LayoutKind } from './layout.js';
import { type NetworkPolicy, type Policy, parsePolicy } from './policy.js';
import { applyPolicyEdits, editedPolicyText, type PolicyEdit, valueIn } from './policy-text.js';
import { dedupeIssues, type FieldIssue, type Result, TAG_VALUE } from './request.js';
import { didYouMean } from './suggest.js';

export const PIPELINE_KINDS = ['circleci', 'github-actions'] as const;
export type PipelineKind = (typeof PIPELINE_KINDS)[number];

/** The flags as given: repeatable per-environment ones as `ENV=VALUE` strings. */
export interface InitRepoFlags {
  pipeline?: string;
  stateBucket?: string;
  stateRegion?: string;
  region: string[];
  roleArn: string[];
  vpc: string[];
  subnets: string[];
  securityGroups: string[];
  cidrBlocks: string[];
  repository?: string;
  cliSource?: string;
  cliRef?: string;
}

export interface InitRepoSettings {
  layout: LayoutKind;
  pipeline: PipelineKind;
  state: { bucket: string; region: string };
  /** Per-database: each environment's region and role. Single root: one region for all (`region`). */
  environments: Record<string, { region: string; roleArn?: string; network: NetworkPolicy }>;
  /** The single root's one region; per-database roots take each environment's. */
  region: string;
  /** The `repository` tag every resource carries. */
  repository: string;
  /** Where the pipeline fetches the rds-provisioner CLI from (a git URL and a tag, branch or commit). */
  cli: { source: string; ref: string };
  /**
   * The policy the repository's pipeline reads: the given file's text, with only the values the flags
   * change (per-database: aws, network, the repository tag) written anew.
   */
  policyText: string;
  /** The branch pull requests go to (the policy's git.base). */
  base: string;
}

/** A flag each environment takes: its name, the policy key it sets, and an example of its value. */
const PER_ENVIRONMENT = {
  region: { flag: '--region', example: 'eu-west-1' },
  roleArn: { flag: '--role-arn', example: 'arn:aws:iam::123456789012:role/rds-provisioner-terraform' },
  vpc: { flag: '--vpc', example: 'vpc-0123456789abcdef0' },
  subnets: { flag: '--subnets', example: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210' },
  securityGroups: { flag: '--security-groups', example: 'sg-0123456789abcdef0' },
  cidrBlocks: { flag: '--cidr-blocks', example: '10.0.0.0/16' },
} as const;
type PerEnvironmentFlag = keyof typeof PER_ENVIRONMENT;

/** Every flag a user may be asked for, in the order they are asked (prompts) and listed (errors). */
export const FLAG_EXAMPLES: Readonly<Record<string, string>> = {
  '--pipeline': PIPELINE_KINDS.join('|'),
  '--state-bucket': 'acme-terraform-state',
  '--state-region': 'eu-west-1',
  ...Object.fromEntries(Object.values(PER_ENVIRONMENT).map(({ flag, example }) => [flag, example])),
  '--repository': 'github.com/acme/infra',
  '--cli-source': 'https://github.com/acme/rds-provisioner.git',
};

/** The placeholders the packaged policy ships (vpc-00000000000000001): no real AWS id has 12 leading zeros. */
const PLACEHOLDER_ID = /^[a-z]+-0{12,}[0-9a-f]{0,5}$/;
export const isPlaceholderNetwork = (network: NetworkPolicy | undefined): boolean =>
  network === undefined ||
  PLACEHOLDER_ID.test(network.vpc_id) ||
  network.subnet_ids.some((id) => PLACEHOLDER_ID.test(id));
const isPlaceholderText = (value: string | undefined) => value === undefined || /REPLACE-ME/i.test(value);

/** S3's bucket naming rules (general purpose buckets). */
const BUCKET = /^(?!xn--|sthree-|amzn-s3-demo-)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const GIT_URL = /^(https:\/\/|ssh:\/\/|git@[^\s:]+:|file:\/\/)\S+$/;
const GIT_REF = /^(?!.*\.\.)(?!\/)[A-Za-z0-9._/-]{1,200}(?<!\/)(?<!\.lock)$/;

/** `ENV=VALUE` of a per-environment flag (`--region` also takes a plain REGION: every environment's). */
function perEnvironment(
  name: PerEnvironmentFlag,
  values: readonly string[],
  environments: readonly string[],
  issues: FieldIssue[],
): { all?: string; byEnv: Map<string, string> } {
  const { flag, example } = PER_ENVIRONMENT[name];
  const byEnv = new Map<string, string>();
  let all: string | undefined;
  for (const given of values) {
    const at = given.indexOf('=');
    if (at < 0 && name === 'region') {
      all = given;
      continue;
    }
    if (at < 0) {
      issues.push({ path: flag, message: `must be ENV=VALUE (e.g. ${flag} dev=${example}), got "${given}"` });
      continue;
    }
    const env = given.slice(0, at);
    if (!environments.includes(env)) {
      issues.push({
        path: `${flag} ${env}`,
        message: `${env} is not an environment of the policy (${environments.join(', ')})${didYouMean(env, environments)}`,
      });
      continue;
    }
    if (byEnv.has(env)) {
      issues.push({ path: `${flag} ${env}`, message: 'given twice' });
      continue;
    }
    byEnv.set(env, given.slice(at + 1));
  }
  return { ...(all === undefined ? {} : { all }), byEnv };
}

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** A policy key of a scratch copy back to the flag that set it. */
function flagOf(path: string, layout: LayoutKind, plainRegion: ReadonlySet<string>): string | undefined {
  const env = /^environments\.([^.[]+)\.(network|aws)\.([a-z_]+)/.exec(path);
  if (env) {
    const [, name, block, key] = env;
    const flag = {
      vpc_id: '--vpc',
      subnet_ids: '--subnets',
      allowed_security_group_ids: '--security-groups',
      allowed_cidr_blocks: '--cidr-blocks',
      region: '--region',
      role_arn: '--role-arn',
    }[key as string];
    if (flag === undefined) return undefined;
    // A region every environment took from a plain --region is that flag's problem, named once.
    if (
      block === 'aws' &&
      (layout === 'single-root' || (key === 'region' && plainRegion.has(name as string)))
    )
      return flag;
    return `${flag} ${name}`;
  }
  if (path.startsWith('default_tags')) return '--repository';
  return undefined;
}

/**
 * The settings for a repository, from the flags and, where a flag is absent, the policy's own values
 * (placeholders count as absent). `missing` lists every flag still needed; `issues` every bad value.
 */
export function resolveInitRepo(
  policy: Policy,
  policyText: string,
  flags: InitRepoFlags,
  defaults: { repository?: string; cliRef: string; cliSource?: string },
): Result<InitRepoSettings> & { missing?: string[] } {
  const layout = policy.git.layout;
  const names = Object.keys(policy.environments);
  const issues: FieldIssue[] = [];
  const missing: string[] = [];
  const given = Object.fromEntries(
    (Object.keys(PER_ENVIRONMENT) as PerEnvironmentFlag[]).map((name) => [
      name,
      perEnvironment(name, flags[name], names, issues),
    ]),
  ) as Record<PerEnvironmentFlag, ReturnType<typeof perEnvironment>>;

  const pipeline = flags.pipeline;
  if (pipeline === undefined) missing.push('--pipeline');
  else if (!(PIPELINE_KINDS as readonly string[]).includes(pipeline))
    issues.push({
      path: '--pipeline',
      message: `must be one of: ${PIPELINE_KINDS.join(', ')}${didYouMean(pipeline, PIPELINE_KINDS)}`,
    });

  const bucket = flags.stateBucket;
  if (bucket === undefined) missing.push('--state-bucket');
  else if (!BUCKET.test(bucket) || bucket.includes('..'))
    issues.push({
      path: '--state-bucket',
      message:
        'must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit',
    });
  const stateRegion = flags.stateRegion;
  if (stateRegion === undefined) missing.push('--state-region');
  else if (!AWS_REGION.test(stateRegion))
    issues.push({ path: '--state-region', message: 'must be an AWS Region name such as eu-west-1' });

  if (layout === 'single-root') {
    for (const env of given.region.byEnv.keys())
      issues.push({
        path: `--region ${env}`,
        message:
          'the single-root layout has one provider, so one region for every environment: give --region REGION',
      });
    for (const env of given.roleArn.byEnv.keys())
      issues.push({
        path: `--role-arn ${env}`,
        message:
          "applies only to git.layout per-database: the single root's one provider uses the pipeline's credentials",
      });
  }

  // Each environment: the flags, else the policy's values where they are real.
  const environments: InitRepoSettings['environments'] = {};
  const plainRegion = new Set<string>();
  // What is written: per-database, each environment's aws and network and the repository tag; single
  // root, only the networks an environment already names in the policy (the rest go to tfvars).
  const written: PolicyEdit[] = [];
  // What is checked: the same, and for the single root every network (the policy's network rules).
  const checked: PolicyEdit[] = [];
  const policyDoc = parseDocument(policyText);
  for (const name of names) {
    const fromPolicy = policy.environments[name];
    const real = fromPolicy && !isPlaceholderNetwork(fromPolicy.network) ? fromPolicy : undefined;
    const vpc = given.vpc.byEnv.get(name) ?? real?.network?.vpc_id;
    const subnetsFlag = given.subnets.byEnv.get(name);
    const subnets = subnetsFlag === undefined ? real?.network?.subnet_ids : list(subnetsFlag);
    const groupsFlag = given.securityGroups.byEnv.get(name);
    const cidrsFlag = given.cidrBlocks.byEnv.get(name);
    if (vpc === undefined) missing.push(`--vpc ${name}`);
    if (subnets === undefined) missing.push(`--subnets ${name}`);
    const network: NetworkPolicy = {
      vpc_id: vpc ?? '',
      subnet_ids: subnets ?? [],
      allowed_security_group_ids:
        groupsFlag === undefined ? (real?.network?.allowed_security_group_ids ?? []) : list(groupsFlag),
      allowed_cidr_blocks:
        cidrsFlag === undefined ? (real?.network?.allowed_cidr_blocks ?? []) : list(cidrsFlag),
    };
    const region =
      layout === 'per-database'
        ? (given.region.byEnv.get(name) ?? given.region.all ?? real?.aws?.region)
        : given.region.all;
    const roleArn = given.roleArn.byEnv.get(name) ?? real?.aws?.role_arn;
    if (region === undefined && layout === 'per-database') missing.push(`--region ${name}`);
    if (!given.region.byEnv.has(name) && given.region.all !== undefined) plainRegion.add(name);
    environments[name] = {
      region: region ?? '',
      ...(roleArn === undefined || layout === 'single-root' ? {} : { roleArn }),
      network,
    };
    if (vpc !== undefined && subnets !== undefined) {
      const edits = changes(policyDoc, ['environments', name, 'network'], { ...network });
      checked.push(...edits);
      if (layout === 'per-database' || fromPolicy?.network !== undefined) written.push(...edits);
    }
    if (layout === 'per-database' && region !== undefined) {
      const edits = changes(policyDoc, ['environments', name, 'aws'], { region, role_arn: roleArn });
      checked.push(...edits);
      written.push(...edits);
    }
  }
  const region = given.region.all;
  if (layout === 'single-root') {
    if (region === undefined) missing.push('--region');
    else if (!AWS_REGION.test(region))
      issues.push({ path: '--region', message: 'must be an AWS Region name such as eu-west-1' });
  }

  // The policy's own tag, when real, wins over a default (--github's github.com/OWNER/REPO): one policy.
  // An explicit --repository still wins over it, as every flag wins over the policy's value.
  const policyRepository = layout === 'per-database' ? policy.default_tags.repository : undefined;
  const repository =
    flags.repository ??
    (isPlaceholderText(policyRepository) ? undefined : policyRepository) ??
    defaults.repository;
  if (repository === undefined) missing.push('--repository');
  else if (repository.length === 0 || !TAG_VALUE.test(repository))
    issues.push({
      path: '--repository',
      message: 'must be 1-256 of letters, digits, spaces and _ . : / = + @ - (a tag value)',
    });
  else if (layout === 'per-database') {
    const edits = changes(policyDoc, ['default_tags'], { repository });
    checked.push(...edits);
    written.push(...edits);
  }

  const cliSource = flags.cliSource ?? defaults.cliSource;
  if (cliSource === undefined) missing.push('--cli-source');
  else if (!GIT_URL.test(cliSource))
    issues.push({
      path: '--cli-source',
      message: 'must be a git URL (https://, ssh://, git@HOST:PATH or file://) of the rds-provisioner source',
    });
  const cliRef = flags.cliRef ?? defaults.cliRef;
  if (!GIT_REF.test(cliRef))
    issues.push({
      path: '--cli-ref',
      message: 'must be a tag, branch or commit of the rds-provisioner source',
    });

  // The policy's own rules on what the flags set: the network and region checks, in one home.
  const scratch = parseDocument(policyText);
  applyPolicyEdits(scratch, checked);
  const withFlags = parsePolicy(scratch.toString(), 'the policy with the flags');
  if (!withFlags.ok) {
    for (const issue of withFlags.issues) {
      const flag = flagOf(issue.path, layout, plainRegion);
      if (flag === undefined) {
        // Not about a flag: the policy file itself (unless it is only a value still missing).
        if (!/^environments\.[^.]+\.(network|aws)$/.test(issue.path))
          issues.push({ path: `--policy ${issue.path}`, message: issue.message });
      } else if (!missing.includes(flag)) issues.push({ path: flag, message: issue.message });
    }
  }

  if (issues.length > 0 || missing.length > 0)
    return { ok: false, issues: [...dedupeIssues(issues), ...missing.map(missingIssue)], missing };
  return {
    ok: true,
    value: {
      layout,
      pipeline: pipeline as PipelineKind,
      state: { bucket: bucket as string, region: stateRegion as string },
      environments,
      region: region ?? '',
      repository: repository as string,
      cli: { source: cliSource as string, ref: cliRef },
      policyText: editedPolicyText(policyText, written),
      base: policy.git.base,
    },
  };
}

/**
 * The edits that make a block of the policy hold the values wanted: none where it already does. An
 * empty list or an undefined value is the key left out.
 */
function changes(
  doc: Document,
  block: readonly string[],
  wanted: Record<string, string | readonly string[] | undefined>,
): PolicyEdit[] {
  const absent = (value: unknown) => value === undefined || (Array.isArray(value) && value.length === 0);
  const edits: PolicyEdit[] = [];
  for (const [key, value] of Object.entries(wanted)) {
    const path = [...block, key];
    const before = valueIn(doc, path);
    if (absent(value) ? absent(before) : isDeepStrictEqual(before, value)) continue;
    edits.push({ path, value: absent(value) ? undefined : value });
  }
  return edits;
}

function missingIssue(flag: string): FieldIssue {
  const [name, env] = flag.split(' ') as [string, string | undefined];
  const example = FLAG_EXAMPLES[name] ?? '…';
  return {
    path: flag,
    message: `missing: give ${name} ${env === undefined ? example : `${env}=${example}`}`,
  };
}
