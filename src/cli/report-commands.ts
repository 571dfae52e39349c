import { type Command, Option } from 'commander';
import { type InferResponseType, parseResponse } from 'hono/client';
import { MAX_REPORT_BODY_BYTES } from '../app/http/body-limits.js';
import { forReport, parsePlanDocument, parseStateDocument } from '../domain/terraform-json.js';
import { ApiClient, type ClientOptions, clientOptions } from './api-client.js';
import {
  baseBranch,
  headCommit,
  type Inferred,
  pullRequestNumber,
  runBranch,
  runCommit,
} from './ci-environment.js';
import { PIPELINE } from './client-auth.js';
import { invalidInput } from './exit-codes.js';
import { planCounts, planWarnings, writeJson } from './format.js';
import { inputName, readBounded, readTail } from './read-input.js';

/**
 * `report plan|apply|drift`: what CI sends back to the service. FILE is `terraform show -json` output;
 * values Terraform marks sensitive, and every part the service never reads, are dropped here before
 * anything is sent (forReport), and the rest is checked with the same reader the service uses. Nothing
 * of the document is printed but resource addresses.
 */

type Reports = ApiClient['api']['reports'];
type PlanAnswer = InferResponseType<Reports['plan']['$post'], 200>;
type ApplyAnswer = InferResponseType<Reports['apply']['$post'], 200>;
type DriftAnswer = InferResponseType<Reports['drift']['$post'], 200>;

/**
 * `terraform show -json` of a plan of hundreds of databases is tens of MB (configuration, prior state and
 * planned values, all dropped before sending); past this it is refused unread.
 */
export const MAX_TERRAFORM_JSON_BYTES = 256 * 1024 * 1024;
/** Terraform's output of a failed apply: its end is kept, where the errors are (the service's limit). */
export const MAX_LOG_BYTES = 64 * 1024;

interface ReportOptions extends ClientOptions {
  json?: boolean;
  commit?: string;
  branch?: string;
}

export function registerReport(program: Command): void {
  const report = program
    .command('report')
    .description(
      "CI's reports to the service: a pull request's plan, an apply's outcome, the nightly drift plan",
    );
  /** A report subcommand: the client options with the pipeline's credential, and --json. */
  const command = (name: string, description: string, file: string, fileHelp: string) =>
    clientOptions(report.command(name).description(description).argument(file, fileHelp), PIPELINE)
      .option('--json', "the service's answer as JSON")
      .addHelpText('after', `\n${CI_DEFAULTS}`);
  const json = (what: string) => `\`terraform show -json\` of ${what}; - reads standard input`;

  command(
    'plan',
    "send a pull request's plan: shown on the pull request, destroys and replacements flagged",
    '<file>',
    json('the saved plan'),
  )
    .option('--branch <branch>', "the pull request's branch (default: from CI)")
    .option('--pr <number>', "the pull request's number (default: from CI)")
    .option('--commit <sha>', 'the branch head the plan was made at (default: from CI)')
    .action(async (file: string, options: ReportOptions & { pr?: string }) => {
      const env = process.env;
      const branch = required('--branch', options.branch, runBranch(env));
      const pr = pullRequest(required('--pr', options.pr, pullRequestNumber(env)));
      const commit = required('--commit', options.commit, headCommit(env));
      const plan = await terraformDocument(file, 'plan', options);
      const answer = await parseResponse(
        new ApiClient(options, PIPELINE).api.reports.plan.$post({
          json: checkedSize(file, { branch, pull_request: pr, commit, plan }),
        }),
      );
      if (options.json) writeJson(answer);
      else printPlan(answer);
    });

  command(
    'apply',
    'send an apply: started (applying), succeeded (ready, with the connection details) or failed',
    '[file]',
    `${json('the state after the apply')}; with --started, of the saved plan about to be applied; with --failed, of the state if there is one`,
  )
    .option('--commit <sha>', 'the merge commit applied (default: from CI)')
    .addOption(
      new Option('--started', 'the apply is about to start: FILE is its saved plan').conflicts('failed'),
    )
    .option(
      '--failed <log>',
      `the apply failed: LOG is Terraform's output (its last ${MAX_LOG_BYTES / 1024} KiB are sent)`,
    )
    .action(
      async (file: string | undefined, options: ReportOptions & { started?: boolean; failed?: string }) => {
        const commit = required('--commit', options.commit, runCommit(process.env));
        const outcome = options.started ? 'started' : options.failed !== undefined ? 'failed' : 'succeeded';
        if (file === undefined && outcome !== 'failed')
          throw invalidInput([
            {
              path: 'FILE',
              message: `is required: \`terraform show -json\` of ${outcome === 'started' ? 'the saved plan about to be applied' : 'the state after the apply (or give --started or --failed LOG)'}`,
            },
          ]);
        const log =
          options.failed === undefined
            ? undefined
            : await readTail(options.failed, MAX_LOG_BYTES, '--failed');
        const document =
          file === undefined
            ? {}
            : outcome === 'started'
              ? { plan: await terraformDocument(file, 'plan', options) }
              : { state: await terraformDocument(file, 'state', options) };
        const body = { commit, outcome, ...document, ...(log !== undefined && { log }) } as const;
        const answer = await parseResponse(
          new ApiClient(options, PIPELINE).api.reports.apply.$post({ json: checkedSize(file, body) }),
        );
        if (options.json) writeJson(answer);
        else printApply(outcome, answer);
      },
    );

  command(
    'drift',
    'send the nightly plan of the base branch (plan -detailed-exitcode): drift per database',
    '<file>',
    json('the plan'),
  )
    .option('--branch <branch>', 'the base branch planned (default: from CI)')
    .option('--commit <sha>', "the base branch's commit planned (default: from CI)")
    .action(async (file: string, options: ReportOptions) => {
      const env = process.env;
      const branch = required('--branch', options.branch, baseBranch(env));
      const commit = required('--commit', options.commit, runCommit(env));
      const plan = await terraformDocument(file, 'plan', options);
      const answer = await parseResponse(
        new ApiClient(options, PIPELINE).api.reports.drift.$post({
          json: checkedSize(file, { branch, commit, plan }),
        }),
      );
      if (options.json) writeJson(answer);
      else printDrift(branch, answer);
    });
}

const CI_DEFAULTS = `In CI the flags default from the environment: GitHub Actions (GITHUB_SHA, GITHUB_HEAD_REF or GITHUB_REF_NAME, GITHUB_BASE_REF, the pull request from GITHUB_REF refs/pull/N/merge or the event at GITHUB_EVENT_PATH) or CircleCI (CIRCLE_SHA1, CIRCLE_BRANCH, CIRCLE_PULL_REQUEST). Values Terraform marks sensitive are dropped before anything is sent.`;

/** A flag's value, or what the CI says; neither: a usage error naming the flag and the variables read. */
function required(flag: string, given: string | undefined, inferred: Inferred): string {
  const value = given ?? inferred.value;
  if (value === undefined || value === '')
    throw invalidInput([
      { path: flag, message: `not given, and not found in the CI environment (${inferred.where})` },
    ]);
  return value;
}

function pullRequest(text: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text))
    throw invalidInput([
      { path: '--pr', message: `must be a pull request number, not ${JSON.stringify(text)}` },
    ]);
  return Number(text);
}

/**
 * FILE read (bounded), parsed, trimmed to what the service reads (sensitive values dropped), and checked
 * with the service's own reader, so nothing malformed or sensitive is sent. Messages name the file and
 * the field, never a value of the document.
 */
async function terraformDocument(
  file: string,
  kind: 'plan' | 'state',
  options: ClientOptions,
): Promise<Record<string, unknown>> {
  for (const [path, given] of [
    ['--token-file', options.tokenFile],
    ['--api-key-file', options.apiKeyFile],
  ] as const)
    if (file === '-' && given === '-')
      throw invalidInput([
        { path, message: 'standard input is the report (FILE -): give the credential another way' },
      ]);
  const name = inputName(file);
  const bytes = await readBounded(file, MAX_TERRAFORM_JSON_BYTES, 'FILE');
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    // JSON.parse's message quotes the text around the error: only its position is kept.
    const at = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw invalidInput([
      {
        path: name,
        message: `is not valid JSON${at ? ` (at byte ${at})` : ''}: give \`terraform show -json\` output`,
      },
    ]);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw invalidInput([{ path: name, message: 'is not a JSON object: give `terraform show -json` output' }]);
  const trimmed = forReport(document) as Record<string, unknown>;
  const parsed = kind === 'plan' ? parsePlanDocument(trimmed, kind) : parseStateDocument(trimmed, kind);
  if (!parsed.ok)
    throw invalidInput(parsed.issues.map((i) => ({ path: `${name}: ${i.path}`, message: i.message })));
  return trimmed;
}

/** The body within the service's limit, refused here (naming the file) rather than by a 413. */
function checkedSize<T>(file: string | undefined, body: T): T {
  const size = Buffer.byteLength(JSON.stringify(body));
  if (size > MAX_REPORT_BODY_BYTES)
    throw invalidInput([
      {
        path: file === undefined ? 'report' : inputName(file),
        message: `the report is ${size} bytes once trimmed, over the service's ${MAX_REPORT_BODY_BYTES} bytes`,
      },
    ]);
  return body;
}

const short = (commit: string) => commit.slice(0, 12);
const unchanged = (changed: boolean) => (changed ? '' : ' (already recorded)');

function printPlan(answer: PlanAnswer): void {
  const { plan } = answer;
  process.stdout.write(
    `plan of #${plan.pull_request} at ${short(plan.commit)} for request ${answer.request_id}: ${planCounts(plan)}${unchanged(answer.changed)}\n`,
  );
  for (const warning of planWarnings(plan)) process.stderr.write(`${warning}\n`);
}

function printApply(outcome: string, answer: ApplyAnswer): void {
  const requests = answer.requests.map(
    (r) => `${r.db_name} ${r.status} (${r.request_id})${unchanged(r.changed)}`,
  );
  process.stdout.write(
    `apply ${outcome} at ${short(answer.commit)}: ${requests.join(', ') || 'no request'}\n`,
  );
}

function printDrift(branch: string, answer: DriftAnswer): void {
  const named = (status: string) => answer.databases.filter((d) => d.status === status).map((d) => d.db_name);
  const drifted = named('drifted');
  const pending = named('pending');
  const clean = named('clean').length;
  const parts = [
    ...(drifted.length > 0 ? [`${drifted.length} drifted (${drifted.join(', ')})`] : []),
    ...(pending.length > 0
      ? [`${pending.length} pending the maintenance window (${pending.join(', ')})`]
      : []),
    `${clean} clean`,
  ];
  process.stdout.write(`drift of ${branch} at ${short(answer.commit)}: ${parts.join(', ')}\n`);
}
