/**
 * The pipeline of an infrastructure repository `init-repo` sets up, made from this repository's own
 * Terraform pipeline so the two cannot drift apart: the same detect, plan, apply and drift jobs, the same
 * pins, approvals and reports. What differs, and only that:
 *
 * - the service's jobs are left out (CircleCI's test and deploy-serverless; GitHub's are other files);
 * - the CLI is not built from a checkout of this package but fetched from the rds-provisioner source at
 *   a pinned ref (RDS_PROVISIONER_SOURCE, RDS_PROVISIONER_REF) and built the same way, and the ci scripts
 *   run from there (RDS_PROVISIONER_HOME), the CLI as RDS_PROVISIONER_BIN;
 * - GitHub's path filters name this repository's Terraform, and setup-node caches nothing (no lock file);
 * - the single root's state bucket and region are written in (the repository's variables still win).
 *
 * Pure: takes the source pipeline's text, returns the new file's.
 */
import { type Document, isMap, isScalar, isSeq, parseDocument, type Scalar, visit, type YAMLMap } from 'yaml';
import type { InitRepoSettings, PipelineKind } from '../domain/init-repo.js';

export const PIPELINE_SOURCES: Readonly<Record<PipelineKind, string>> = {
  'github-actions': '.github/workflows/terraform.yml',
  circleci: '.circleci/config.yml',
};

/** Where the CLI source is fetched to on the CI machine, outside the checkout. */
export const CLI_HOME = '/tmp/rds-provisioner';

/** The one step that fetches and builds the CLI, the same on both platforms. */
export const INSTALL_CLI = [
  '# The rds-provisioner CLI (changed-roots, report) and the ci scripts, from its source at a pinned ref,',
  '# built as the service builds it: no install scripts (no native SQLite build), only the TypeScript build.',
  'git init -q "$RDS_PROVISIONER_HOME"',
  'git -C "$RDS_PROVISIONER_HOME" fetch -q --depth 1 "$RDS_PROVISIONER_SOURCE" "$RDS_PROVISIONER_REF"',
  'git -C "$RDS_PROVISIONER_HOME" checkout -q FETCH_HEAD',
  'cd "$RDS_PROVISIONER_HOME"',
  'npm ci --ignore-scripts',
  'npx tsc -p tsconfig.json',
  '',
].join('\n');

const SCRIPT_CALL = /bash scripts\/(ci-[a-z-]+\.sh)/g;
const SCRIPT_CALL_THERE = 'bash "$RDS_PROVISIONER_HOME/scripts/$1"';

/** As the files are written by hand: no padding inside [ ], long lines left whole. */
export const YAML_OUTPUT = { flowCollectionPadding: false, lineWidth: 0 } as const;

type Settings = Pick<InitRepoSettings, 'layout' | 'cli' | 'state'>;

/** The variables the generated jobs add. */
function cliVariables(settings: Settings): Record<string, string> {
  return {
    RDS_PROVISIONER_SOURCE: settings.cli.source,
    RDS_PROVISIONER_REF: settings.cli.ref,
    RDS_PROVISIONER_HOME: CLI_HOME,
    RDS_PROVISIONER_BIN: `${CLI_HOME}/bin/rds-provisioner.js`,
  };
}

/** The file's header comment replaced (YAML keeps it on the document or on its first key). */
function replaceHeader(doc: Document, header: string): void {
  doc.commentBefore = header;
  const contents = doc.contents as YAMLMap;
  contents.commentBefore = null;
  const first = contents.items[0]?.key;
  if (isScalar(first)) first.commentBefore = null;
}

/** A map whose first entries were deleted starts without the blank line that stood before them. */
function trimLeadingSpace(map: unknown): void {
  const first = isMap(map) ? map.items[0]?.key : undefined;
  if (isScalar(first)) first.spaceBefore = false;
}

/** Every string in the document that runs a ci script runs it from the fetched source instead. */
function runScriptsFromSource(doc: Document): void {
  visit(doc, {
    Scalar(_, node: Scalar) {
      if (typeof node.value === 'string') node.value = node.value.replace(SCRIPT_CALL, SCRIPT_CALL_THERE);
    },
  });
}

const HEADER: Record<PipelineKind, string> = {
  'github-actions': [
    ' Terraform, root by root, for the databases rds-provisioner provisions (written by rds-provisioner',
    " init-repo from the service's own terraform.yml; docs/pipelines.md in rds-provisioner describes it).",
    " detect lists the roots a change touches (rds-provisioner changed-roots, from config/policy.yaml's",
    ' layout); plan plans each of them on pull requests and main; apply, on main, applies each saved plan,',
    ' prod roots in the `prod` environment (required reviewers: the approval); drift, nightly, plans every',
    ' root and reports it. Each job reports back to rds-provisioner when the variable RDS_PROVISIONER_URL',
    ' and the credential the variable RDS_PROVISIONER_AUTH names are set: the secret',
    " RDS_PROVISIONER_PIPELINE_TOKEN (token), the job's AWS role, the stack's PipelinePrincipalArn (iam), or",
    ' the secret RDS_PROVISIONER_PIPELINE_API_KEY (api-key). The CLI and the ci scripts come from',
    ' RDS_PROVISIONER_SOURCE at RDS_PROVISIONER_REF (below).',
  ].join('\n'),
  circleci: [
    ' Terraform on CircleCI for the databases rds-provisioner provisions (written by rds-provisioner',
    " init-repo from the service's own .circleci/config.yml, its Terraform jobs only; docs/pipelines.md in",
    ' rds-provisioner describes the contexts, variables and OIDC roles).',
    '',
    '   terraform        every branch: terraform-detect finds the roots the change touches (changed-roots),',
    '                    terraform-plan plans each; main only: terraform-apply applies the non-prod roots,',
    '                    terraform-apply-prod the prod roots after the hold-prod-apply approval',
    '   terraform-drift  the scheduled pipeline "nightly-drift" only: plans every root, reports drift',
    '',
    ' The CLI and the ci scripts come from RDS_PROVISIONER_SOURCE at RDS_PROVISIONER_REF (the executor).',
  ].join('\n'),
};

/** The GitHub Actions workflow of an infrastructure repository, from this repository's terraform.yml. */
export function renderGitHubPipeline(source: string, settings: Settings): string {
  const doc = parseDocument(source);
  replaceHeader(doc, HEADER['github-actions']);
  const paths = ['terraform/**', 'config/policy.yaml', '.github/workflows/terraform.yml'];
  for (const event of ['pull_request', 'push']) doc.setIn(['on', event, 'paths'], paths);
  const env = doc.get('env') as YAMLMap;
  for (const [key, value] of Object.entries(cliVariables(settings))) env.set(key, value);
  if (settings.layout === 'single-root') {
    env.set('TF_STATE_BUCKET', `\${{ vars.TF_STATE_BUCKET || '${settings.state.bucket}' }}`);
    env.set('TF_STATE_REGION', `\${{ vars.TF_STATE_REGION || '${settings.state.region}' }}`);
  }
  const jobs = doc.get('jobs') as YAMLMap;
  for (const job of jobs.items) {
    const steps = (job.value as YAMLMap).get('steps');
    if (!isSeq(steps)) continue;
    steps.items = steps.items.filter(
      (step) => !(isMap(step) && step.get('name') === 'npm ci --ignore-scripts'),
    );
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      if (String(step.get('uses') ?? '').startsWith('actions/setup-node@')) step.deleteIn(['with', 'cache']);
      if (step.get('name') === 'Build the CLI') {
        step.set('name', 'The rds-provisioner CLI');
        step.set('run', doc.createNode(INSTALL_CLI));
        const run = step.get('run', true);
        if (isScalar(run)) run.type = 'BLOCK_LITERAL';
      }
    }
  }
  runScriptsFromSource(doc);
  return doc.toString(YAML_OUTPUT);
}

/** The CircleCI configuration of an infrastructure repository: this repository's, its Terraform jobs only. */
export function renderCircleCiPipeline(source: string, settings: Settings): string {
  const doc = parseDocument(source);
  replaceHeader(doc, HEADER.circleci);
  for (const path of [
    ['jobs', 'test'],
    ['jobs', 'deploy-serverless'],
    ['workflows', 'test'],
    ['workflows', 'deploy-serverless'],
    ['commands', 'npm-ci-and-test'],
    ['commands', 'service-changed'],
  ])
    doc.deleteIn(path);
  for (const key of ['jobs', 'workflows', 'commands']) trimLeadingSpace(doc.get(key, true));
  const environment = doc.getIn(['executors', 'ci', 'environment']) as YAMLMap;
  for (const [key, value] of Object.entries(cliVariables(settings))) environment.set(key, value);
  if (settings.layout === 'single-root') {
    environment.set('TF_STATE_BUCKET', settings.state.bucket);
    environment.set('TF_STATE_REGION', settings.state.region);
  }
  doc.setIn(
    ['commands', 'build-cli'],
    doc.createNode({
      description:
        'The rds-provisioner CLI (changed-roots, report) and the ci scripts, fetched from RDS_PROVISIONER_SOURCE at RDS_PROVISIONER_REF and built: npm ci without install scripts, then the TypeScript build.',
      steps: [{ run: { name: 'The rds-provisioner CLI', command: INSTALL_CLI } }],
    }),
  );
  visit(doc.getIn(['commands', 'build-cli'], true) as YAMLMap, {
    Scalar(_, node) {
      if (node.value === INSTALL_CLI) node.type = 'BLOCK_LITERAL';
    },
  });
  runScriptsFromSource(doc);
  return doc.toString(YAML_OUTPUT);
}

export function renderInfraPipeline(
  kind: PipelineKind,
  source: string,
  settings: Settings,
): { path: string; text: string } {
  const text =
    kind === 'github-actions'
      ? renderGitHubPipeline(source, settings)
      : renderCircleCiPipeline(source, settings);
  return { path: PIPELINE_SOURCES[kind], text };
}
