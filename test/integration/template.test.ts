/**
 * template.yaml, the AWS SAM stack: cfn-lint clean, `sam validate --lint` and `sam build` succeed (each
 * function's bundle exports `handler`), checkov finds nothing it does not skip with a reason, and the
 * structural facts the design relies on hold (visibility timeout, redrive, partial batch failures, log
 * groups, tags, least-privilege IAM, the API's routes and authorization).
 *
 * The Python tools come from scripts/venv.sh (.venv: cfn-lint, checkov; .venv/sam: aws-sam-cli).
 * `sam build` runs in the source directory (as samconfig.toml sets it): no copy of the project, no
 * `npm install`, no Docker and no network.
 */
import { execFile } from 'node:child_process';
import { type Dirent, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectionTag, parse, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';
import type { AppContext } from '../../src/app/context.js';
import { createApp } from '../../src/app/http/app.js';
import { LambdaEnv } from '../../src/runtime/lambda/config.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { parameterEvaluator, readTemplate } from '../support/aws-stack.js';
import { ROOT } from '../support/cli.js';

const TEMPLATE = join(ROOT, 'template.yaml');
const CFN_LINT = join(ROOT, '.venv', 'bin', 'cfn-lint');
const CHECKOV = join(ROOT, '.venv', 'bin', 'checkov');
const SAM = join(ROOT, '.venv', 'sam', 'bin', 'sam');
const TIMEOUT = 240_000;

// ---------------------------------------------------------------------------------------------------
// The template, with CloudFormation's short-form intrinsics read as their long JSON forms.

type Json = unknown;
type Props = Record<string, Json>;
interface Resource {
  Type: string;
  Condition?: string;
  Metadata?: Props;
  Properties?: Props;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
}
interface Template {
  Parameters: Record<string, Props>;
  Mappings: Record<string, Record<string, Record<string, Json>>>;
  Conditions: Record<string, Json>;
  Globals: { Function: Props };
  Resources: Record<string, Resource>;
  Outputs: Record<string, Props>;
}

const INTRINSICS = ['Equals', 'FindInMap', 'GetAtt', 'If', 'Join', 'Not', 'Ref', 'Sub', 'Select', 'Split'];
const longName = (name: string) => (name === 'Ref' ? name : `Fn::${name}`);
const CFN_TAGS: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => [
  {
    tag: `!${name}`,
    resolve: (value: string) => ({
      [longName(name)]:
        name === 'GetAtt' ? [value.slice(0, value.indexOf('.')), value.slice(value.indexOf('.') + 1)] : value,
    }),
  } satisfies ScalarTag,
  {
    tag: `!${name}`,
    collection: 'seq',
    resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [longName(name)]: value.toJSON() }),
  } satisfies CollectionTag,
]);

const template = parse(readFileSync(TEMPLATE, 'utf8'), { customTags: CFN_TAGS }) as Template;
const resources = template.Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const props = (id: string): Props => {
  const resource = resources[id];
  if (!resource) throw new Error(`template.yaml has no resource ${id}`);
  return resource.Properties ?? {};
};
const ref = (name: string) => ({ Ref: name });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });

const FUNCTIONS = {
  ApiFunction: { entry: 'api.ts', dir: 'api' },
  WorkerFunction: { entry: 'worker.ts', dir: 'worker' },
  ReconcileFunction: { entry: 'reconcile.ts', dir: 'reconcile' },
} as const;
type FunctionId = keyof typeof FUNCTIONS;
const FUNCTION_IDS = Object.keys(FUNCTIONS) as FunctionId[];
/** Every function of the template (the ones above and any other, such as the web page's). */
const SAM_FUNCTION_IDS = ofType('AWS::Serverless::Function').map(([id]) => id);

/** Every file under a directory, relative to it, sorted, each with its size. */
function filesIn(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile())
    .map((e) => {
      const file = join(e.parentPath, e.name);
      return `${relative(dir, file)} ${statSync(file).size}`;
    })
    .sort();
}

// ---------------------------------------------------------------------------------------------------
// The tools, started together (they take seconds each) and awaited by the tests that need them.

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: ROOT,
        env: { ...process.env, SAM_CLI_TELEMETRY: '0', ...env },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: TIMEOUT - 10_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const explain = (r: Run) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`.slice(-6_000);

let buildDir: string;
let lint: Promise<Run>;
let validate: Promise<Run>;
let build: Promise<Run & { ms: number }>;
let scriptBuild: Promise<Run[]>;
let checkovRun: Promise<Run>;

beforeAll(() => {
  for (const tool of [CFN_LINT, CHECKOV, SAM]) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: run \`bash scripts/venv.sh\` first`);
  }
  buildDir = mkdtempSync(join(tmpdir(), 'rdsp-sam-build-'));
  // The same functions built by the script directly, to compare with what sam build made.
  scriptBuild = Promise.all(
    SAM_FUNCTION_IDS.map((id) =>
      run(process.execPath, [
        join(ROOT, 'scripts', 'build-lambda.mjs'),
        '--function',
        id,
        '--outdir',
        join(buildDir, 'script', id),
      ]),
    ),
  );
  lint = run(CFN_LINT, [TEMPLATE]);
  validate = run(SAM, ['validate', '--lint', '--template-file', TEMPLATE]);
  const started = Date.now();
  build = run(SAM, [
    'build',
    '--template-file',
    TEMPLATE,
    '--build-in-source',
    '--build-dir',
    join(buildDir, 'build'),
    '--cache-dir',
    join(buildDir, 'cache'),
  ]).then((r) => ({ ...r, ms: Date.now() - started }));
  checkovRun = run(CHECKOV, [
    '-f',
    TEMPLATE,
    '--framework',
    'cloudformation',
    '--skip-download',
    '--output',
    'json',
  ]);
});

afterAll(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

describe('template.yaml: the tools', () => {
  it(
    'is clean under cfn-lint',
    async () => {
      const r = await lint;
      expect(r.code, explain(r)).toBe(0);
      expect(r.stdout.trim()).toBe('');
    },
    TIMEOUT,
  );

  it(
    'passes sam validate --lint',
    async () => {
      const r = await validate;
      expect(r.code, explain(r)).toBe(0);
      expect(`${r.stdout}${r.stderr}`).toMatch(/is a valid SAM Template/);
    },
    TIMEOUT,
  );

  it(
    'builds with sam build in place: one ESM bundle per function, each importable and exporting handler',
    async () => {
      const r = await build;
      expect(r.code, explain(r)).toBe(0);
      for (const built of await scriptBuild) expect(built.code, explain(built)).toBe(0);
      const output = `${r.stdout}${r.stderr}`;
      // No npm install, no copy of the project: the Makefile's build step alone, once per function.
      expect(output).not.toMatch(/NpmInstall|NpmUpdate|NpmCI|CopySource/);
      expect(output.match(/CustomMakeBuilder:MakeBuild/g)).toHaveLength(SAM_FUNCTION_IDS.length);
      for (const id of SAM_FUNCTION_IDS) {
        const handler = props(id).Handler as string;
        const file = join(buildDir, 'build', id, `${handler.split('.')[0]}.mjs`);
        expect(existsSync(file), `${file} after sam build`).toBe(true);
        expect(existsSync(`${file}.map`), `${file}.map (source map)`).toBe(true);
        // What sam build deploys is what npm run build:lambda builds and the benchmark measures.
        expect(
          filesIn(join(buildDir, 'build', id)),
          `${id}: sam build's files against scripts/build-lambda.mjs's`,
        ).toEqual(filesIn(join(buildDir, 'script', id)));
        // A fresh process, as a cold Lambda container: the module loads and exports the handler.
        const loaded = await run(process.execPath, [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(file)}); console.log(typeof m.${handler.split('.')[1]});`,
        ]);
        expect(loaded.code, explain(loaded)).toBe(0);
        expect(loaded.stdout.trim()).toBe('function');
      }
    },
    TIMEOUT,
  );

  it(
    'passes checkov, every skip named here and justified in the template',
    async () => {
      const r = await checkovRun;
      // checkov exits 1 when a check fails, with the report on stdout.
      expect([0, 1], explain(r)).toContain(r.code);
      const report = JSON.parse(r.stdout) as {
        check_type?: string;
        results: Record<
          'passed_checks' | 'failed_checks' | 'skipped_checks',
          { check_id: string; resource: string; check_result?: { suppress_comment?: string } }[]
        > & { parsing_errors?: string[] };
      };
      const { passed_checks: passed, failed_checks: failed, skipped_checks: skipped } = report.results;
      const describe = (c: { check_id: string; resource: string }) => `${c.check_id} ${c.resource}`;
      expect(report.results.parsing_errors ?? []).toEqual([]);
      expect(failed.map(describe)).toEqual([]);

      // The skips, each for a reason given beside the resource (Metadata checkov skip comment).
      const allowed: Record<string, RegExp> = {
        CKV_AWS_116: /^AWS::Serverless::Function\./, // function DLQ: sync, SQS-driven, scheduled
        CKV_AWS_117: /^AWS::Serverless::Function\./, // VPC: nothing in a VPC to reach
        CKV_AWS_173: /^AWS::Serverless::Function\./, // env encryption with a CMK: no secrets in it
        CKV_AWS_158: /^AWS::Logs::LogGroup\./, // log group CMK
        CKV_AWS_149: /^AWS::SecretsManager::Secret\./, // secret CMK
        CKV_AWS_119: /^AWS::DynamoDB::Table\.StatusTable$/, // table CMK
        CKV_AWS_27: /^AWS::SQS::Queue\./, // SSE-SQS, which checkov does not recognise
        CKV_AWS_120: /^AWS::ApiGateway::Stage\.ApiStage$/, // cache
        CKV_AWS_59:
          /^AWS::ApiGateway::Method\.(OpenApiGetMethod|HealthGetMethod|AuthConfigGetMethod|GitHubWebhookPostMethod|WebPageGetMethod|WebAssetGetMethod)$/,
      };
      for (const skip of skipped) {
        expect(Object.keys(allowed), `unexpected skip ${describe(skip)}`).toContain(skip.check_id);
        expect(skip.resource, `skip ${describe(skip)}`).toMatch(allowed[skip.check_id] as RegExp);
        const reason = skip.check_result?.suppress_comment ?? '';
        expect(reason.split(/\s+/).length, `skip without a real reason: ${describe(skip)}`).toBeGreaterThan(
          8,
        );
      }

      // What must pass, not merely not fail.
      const passes = new Set(passed.map(describe));
      const mustPass = [
        'CKV_AWS_28 AWS::DynamoDB::Table.StatusTable', // point-in-time recovery
        'CKV_AWS_26 AWS::SNS::Topic.RequestsTopic', // topic encrypted
        'CKV_AWS_73 AWS::ApiGateway::Stage.ApiStage', // X-Ray tracing
        'CKV_AWS_76 AWS::ApiGateway::Stage.ApiStage', // access logs
        'CKV_AWS_364 AWS::Lambda::Permission.ApiInvokePermission', // permission scoped to the account
        ...[
          'ProvisionPostMethod',
          'RequestsGetMethod',
          'RequestGetMethod',
          'ReportPlanPostMethod',
          'ReportApplyPostMethod',
          'ReportDriftPostMethod',
        ].map(
          (m) => `CKV_AWS_59 AWS::ApiGateway::Method.${m}`, // authorized, in either auth mode
        ),
        ...['ApiLogGroup', 'WorkerLogGroup', 'ReconcileLogGroup', 'ApiAccessLogGroup'].map(
          (g) => `CKV_AWS_66 AWS::Logs::LogGroup.${g}`, // retention
        ),
        ...FUNCTION_IDS.flatMap((f) => [
          `CKV_AWS_45 AWS::Serverless::Function.${f}`, // no credentials in the environment
          `CKV_AWS_115 AWS::Serverless::Function.${f}`, // reserved concurrency
          `CKV_AWS_363 AWS::Serverless::Function.${f}`, // runtime not deprecated
        ]),
        ...['ApiRole', 'WorkerRole', 'ReconcileRole'].flatMap((role) =>
          ['CKV_AWS_107', 'CKV_AWS_108', 'CKV_AWS_109', 'CKV_AWS_110', 'CKV_AWS_111'].map(
            (check) => `${check} AWS::IAM::Role.${role}`, // the IAM policy checks
          ),
        ),
      ];
      for (const check of mustPass) expect(passes, check).toContain(check);
    },
    TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------------

describe('template.yaml: queue, worker and dead letters', () => {
  it('gives the queue a visibility timeout of at least six worker timeouts, for every allowed timeout', () => {
    const allowed = template.Parameters.WorkerTimeoutSeconds?.AllowedValues as string[];
    expect(allowed.length).toBeGreaterThanOrEqual(3);
    expect(allowed).toContain(String(template.Parameters.WorkerTimeoutSeconds?.Default));
    expect(props('RequestsQueue').VisibilityTimeout).toEqual({
      'Fn::FindInMap': ['WorkerTimeouts', ref('WorkerTimeoutSeconds'), 'VisibilityTimeout'],
    });
    expect(props('WorkerFunction').Timeout).toEqual(ref('WorkerTimeoutSeconds'));
    for (const seconds of allowed) {
      const visibility = Number(template.Mappings.WorkerTimeouts?.[seconds]?.VisibilityTimeout);
      expect(visibility, `visibility for a ${seconds} s worker`).toBeGreaterThanOrEqual(6 * Number(seconds));
      // SQS's limit is 12 hours; Lambda's 15 minutes.
      expect(visibility).toBeLessThanOrEqual(43_200);
      expect(Number(seconds)).toBeLessThanOrEqual(900);
    }
  });

  it('redrives to the dead-letter queue after MaxReceiveCount receives, the same count the functions get', () => {
    expect(props('RequestsQueue').RedrivePolicy).toEqual({
      deadLetterTargetArn: getAtt('DeadLetterQueue', 'Arn'),
      maxReceiveCount: ref('MaxReceiveCount'),
    });
    const env = (template.Globals.Function.Environment as { Variables: Props }).Variables;
    expect(env.MAX_RECEIVE_COUNT).toEqual(ref('MaxReceiveCount'));
    // The dead-letter queue keeps messages for the longest SQS allows, 14 days.
    expect(props('DeadLetterQueue').MessageRetentionPeriod).toBe(1_209_600);
  });

  it('feeds the worker from the requests queue with partial batch failures and a concurrency cap', () => {
    const events = props('WorkerFunction').Events as Record<string, { Type: string; Properties: Props }>;
    const sqs = Object.values(events).filter((e) => e.Type === 'SQS');
    expect(sqs).toHaveLength(1);
    const source = sqs[0]?.Properties ?? {};
    expect(source.Queue).toEqual(getAtt('RequestsQueue', 'Arn'));
    expect(source.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(source.BatchSize).toEqual(ref('WorkerBatchSize'));
    expect(source.ScalingConfig).toEqual({ MaximumConcurrency: ref('WorkerMaximumConcurrency') });
    // SQS event sources take at least 2; larger batches than 10 would need a batching window.
    expect(template.Parameters.WorkerMaximumConcurrency?.MinValue).toBe(2);
    expect(template.Parameters.WorkerBatchSize?.MaxValue).toBeLessThanOrEqual(10);
    expect(source.MaximumBatchingWindowInSeconds).toBeUndefined();
  });

  it('subscribes the queue to the topic with raw delivery, and lets only that topic send to it', () => {
    expect(props('RequestsSubscription')).toMatchObject({
      TopicArn: ref('RequestsTopic'),
      Protocol: 'sqs',
      Endpoint: getAtt('RequestsQueue', 'Arn'),
      RawMessageDelivery: true,
    });
    const policy = props('RequestsQueuePolicy').PolicyDocument as { Statement: Props[] };
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': ref('RequestsTopic') } },
      }),
    ]);
  });

  it('alarms on any message in the dead-letter queue and on worker errors', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties ?? {});
    const dlq = alarms.find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlq).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: getAtt('DeadLetterQueue', 'QueueName') }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: { 'Fn::If': ['HasAlarmTopic', [ref('AlarmTopicArn')], ref('AWS::NoValue')] },
    });
    const errors = alarms.find((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Errors');
    expect(errors?.Dimensions).toEqual([{ Name: 'FunctionName', Value: ref('WorkerFunction') }]);
  });

  it('keeps the status table on demand, with point-in-time recovery and its four indexes', () => {
    const table = props('StatusTable');
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect((table.GlobalSecondaryIndexes as { IndexName: string }[]).map((i) => i.IndexName).sort()).toEqual([
      'by-created',
      'by-db',
      'by-merge-commit',
      'by-status',
    ]);
    expect(resources.StatusTable?.DeletionPolicy).toBe('Retain');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('template.yaml: functions', () => {
  const globals = template.Globals.Function;
  const env = (globals.Environment as { Variables: Props }).Variables;

  it('builds each function with scripts/build-lambda.mjs through the Makefile, for arm64', () => {
    expect(globals.Architectures).toEqual(['arm64']);
    expect(String(globals.Runtime)).toMatch(/^nodejs(20|22)\.x$/);
    expect(globals.CodeUri).toBe('src/runtime/lambda');
    // No --enable-source-maps (it reads every map at each cold start): an escaping error's stack is put
    // in source positions by the handler (lazy-handler.ts; test/integration/lambda-build.test.ts).
    expect(env.NODE_OPTIONS).toBeUndefined();
    // No package.json beside the entries: sam build runs no npm install.
    expect(existsSync(join(ROOT, 'src/runtime/lambda/package.json'))).toBe(false);
    // One rule for every function: `make build-<LogicalId>` runs the script for that function.
    const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');
    expect(makefile).toMatch(
      /^build-%:\n\tnode scripts\/build-lambda\.mjs --function "\$\*" --outdir "\$\(ARTIFACTS_DIR\)"$/m,
    );
    for (const id of SAM_FUNCTION_IDS) {
      const fn = resources[id] as Resource;
      expect(fn.Metadata, id).toMatchObject({
        BuildMethod: 'makefile',
        ContextPath: '.',
        WorkingDirectory: '.',
      });
      expect(fn.Metadata?.BuildProperties, id).toBeUndefined();
    }
    for (const id of FUNCTION_IDS) {
      expect(existsSync(join(ROOT, 'src/runtime/lambda', FUNCTIONS[id].entry))).toBe(true);
      expect(props(id).Handler).toBe(`${FUNCTIONS[id].entry.replace(/\.ts$/, '')}.handler`);
    }
  });

  it('has scripts/build-lambda.mjs build every function of the template: minified ESM for node20, split, source maps', async () => {
    const script = join(ROOT, 'scripts', 'build-lambda.mjs');
    const r = await run(process.execPath, [
      '--input-type=module',
      '-e',
      `const { OPTIONS, FUNCTIONS } = await import(${JSON.stringify(script)}); console.log(JSON.stringify({ OPTIONS, FUNCTIONS }));`,
    ]);
    expect(r.code, explain(r)).toBe(0);
    const { OPTIONS, FUNCTIONS: built } = JSON.parse(r.stdout) as {
      OPTIONS: Props;
      FUNCTIONS: { name: string; entry: string; logicalId: string }[];
    };
    expect(OPTIONS).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: true,
      splitting: true,
      entryNames: '[name]',
      outExtension: { '.js': '.mjs' },
      sourcemap: true,
    });
    // The template's Runtime runs what the build targets.
    expect(Number(/^nodejs(\d+)\.x$/.exec(String(globals.Runtime))?.[1])).toBeGreaterThanOrEqual(20);
    expect(built.map((f) => f.logicalId).sort()).toEqual([...SAM_FUNCTION_IDS].sort());
    for (const fn of built) {
      // The handler module is named after the entry, as the function's Handler names it.
      expect(props(fn.logicalId).Handler).toBe(`${basename(fn.entry).replace(/\.ts$/, '')}.handler`);
    }
    for (const id of FUNCTION_IDS) {
      expect(built).toContainEqual({
        name: FUNCTIONS[id].dir,
        entry: `src/runtime/lambda/${FUNCTIONS[id].entry}`,
        logicalId: id,
      });
    }
  });

  it('gives every function the environment docs/aws-contract.md and the function config read', () => {
    const contract = readFileSync(join(ROOT, 'docs/aws-contract.md'), 'utf8');
    const documented = [...contract.matchAll(/^\| `([A-Z_]+)`(?:, `([A-Z_]+)`)?\s*\|/gm)].flatMap((m) =>
      m.slice(1).filter((x): x is string => Boolean(x)),
    );
    expect(documented).toContain('STATUS_TABLE');
    // The variables src/runtime/lambda/config.ts requires (no default, not optional); tunables with a
    // default may be left unset.
    const fields = Object.entries(LambdaEnv.shape);
    expect(fields.map(([name]) => name)).toContain('TOPIC_ARN');
    const required = fields
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([name]) => name);
    expect(required).toContain('STATUS_TABLE');
    // AWS_ENDPOINT_URL is for tests (moto) only.
    for (const name of new Set([...documented, ...required].filter((n) => n !== 'AWS_ENDPOINT_URL'))) {
      expect(env, `environment variable ${name}`).toHaveProperty(name);
    }
    expect(env).toMatchObject({
      STATUS_TABLE: ref('StatusTable'),
      TOPIC_ARN: ref('RequestsTopic'),
      QUEUE_URL: ref('RequestsQueue'),
      DEAD_LETTER_QUEUE_URL: ref('DeadLetterQueue'),
      GITHUB_TOKEN_SECRET: ref('GitHubTokenSecretName'),
      GITHUB_WEBHOOK_SECRET_NAME: ref('GitHubWebhookSecretName'),
      GITHUB_API_URL: ref('GitHubApiUrl'),
      AUTH_MODE: ref('AuthMode'),
      WORKER_MAX_CONCURRENCY: ref('WorkerMaximumConcurrency'),
      POWERTOOLS_SERVICE_NAME: 'rds-provisioner',
      POWERTOOLS_METRICS_NAMESPACE: 'RdsProvisioner',
    });
    expect(template.Parameters.GitHubTokenSecretName?.Default).toBe('github/pat');
    expect(template.Parameters.GitHubApiUrl?.Default).toBe('https://api.github.com');
    expect(template.Parameters.AuthMode).toMatchObject({ Default: 'iam', AllowedValues: ['iam', 'api_key'] });
  });

  it('gives every function its own log group with a retention, and its own role', () => {
    const roles = new Set<string>();
    for (const id of FUNCTION_IDS) {
      const fn = props(id);
      const group = (fn.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resources[group]?.Type, `${id} log group`).toBe('AWS::Logs::LogGroup');
      expect(props(group).RetentionInDays).toEqual(ref('LogRetentionDays'));
      const role = (fn.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'];
      expect(role?.[1]).toBe('Arn');
      expect(resources[role?.[0] as string]?.Type).toBe('AWS::IAM::Role');
      roles.add(role?.[0] as string);
      // Its role may write to its own log group only.
      const statements = policyStatements(role?.[0] as string);
      const logs = statements.filter((s) => actions(s).some((a) => a.startsWith('logs:')));
      expect(logs.map((s) => s.Resource)).toEqual([getAtt(group, 'Arn')]);
    }
    expect(roles.size).toBe(FUNCTION_IDS.length);
  });

  it('runs the reconciler every five minutes, one at a time, without retries', () => {
    const fn = props('ReconcileFunction');
    const events = Object.values(fn.Events as Record<string, { Type: string; Properties: Props }>);
    expect(events).toEqual([
      expect.objectContaining({
        Type: 'Schedule',
        Properties: expect.objectContaining({ Schedule: 'rate(5 minutes)' }),
      }),
    ]);
    expect(fn.ReservedConcurrentExecutions).toEqual({ 'Fn::If': ['Reserve', 1, ref('AWS::NoValue')] });
    expect(fn.EventInvokeConfig).toEqual({ MaximumRetryAttempts: 0 });
  });
});

// ---------------------------------------------------------------------------------------------------

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
}
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

function policyStatements(roleId: string): Statement[] {
  const policies = (props(roleId).Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

describe('template.yaml: IAM', () => {
  const roles = ofType('AWS::IAM::Role').map(([id]) => id);

  it('uses "*" as a resource only for X-Ray, which has no resource-level permissions', () => {
    // X-Ray's PutTraceSegments and PutTelemetryRecords accept only "*"
    // (https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html).
    const needsStar = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    for (const role of roles) {
      for (const statement of policyStatements(role)) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actions(statement)) expect(action, `${role}`).toMatch(/^[a-z0-9]+:[A-Za-z]+$/);
        const list = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        if (list.includes('*')) {
          expect(statement.Sid).toBe('XRayNoResourceLevelPermissions');
          expect(
            actions(statement).every((a) => needsStar.has(a)),
            `${role} ${statement.Sid}`,
          ).toBe(true);
          expect(list).toEqual(['*']);
        }
        for (const resource of list) {
          if (typeof resource === 'string') expect(resource).toBe('*');
        }
      }
    }
  });

  it('grants each function only what it calls', () => {
    const grants = (role: string) =>
      Object.fromEntries(
        policyStatements(role)
          .filter((s) => s.Sid !== 'Logs' && s.Sid !== 'XRayNoResourceLevelPermissions')
          .map((s) => [JSON.stringify(s.Resource), actions(s).sort()]),
      );
    const table = JSON.stringify(getAtt('StatusTable', 'Arn'));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
    const indexes = JSON.stringify({ 'Fn::Sub': '${StatusTable.Arn}/index/*' });
    const secret = (name: string) =>
      JSON.stringify({
        'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:\${${name}}-??????`,
      });
    expect(grants('ApiRole')).toEqual({
      // BatchGetItem: the in-flight requests of a page of the inventory.
      [table]: [
        'dynamodb:BatchGetItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ],
      [indexes]: ['dynamodb:Query'],
      [JSON.stringify(ref('RequestsTopic'))]: ['sns:Publish'],
      [JSON.stringify([
        JSON.parse(secret('GitHubWebhookSecretName')),
        JSON.parse(secret('GitHubTokenSecretName')),
      ])]: ['secretsmanager:GetSecretValue'],
    });
    expect(grants('WorkerRole')).toEqual({
      [table]: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
      [JSON.stringify(getAtt('RequestsQueue', 'Arn'))]: [
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
      ],
      [JSON.stringify(getAtt('DeadLetterQueue', 'Arn'))]: ['sqs:SendMessage'],
      [secret('GitHubTokenSecretName')]: ['secretsmanager:GetSecretValue'],
    });
    expect(grants('ReconcileRole')).toEqual({
      [table]: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
      [indexes]: ['dynamodb:Query'],
      [JSON.stringify(ref('RequestsTopic'))]: ['sns:Publish'],
      [JSON.stringify(getAtt('DeadLetterQueue', 'Arn'))]: ['sqs:ReceiveMessage'],
      [secret('GitHubTokenSecretName')]: ['secretsmanager:GetSecretValue'],
    });
  });

  it('attaches no managed policy to a function role, and lets only Lambda in this account assume them', () => {
    for (const role of ['ApiRole', 'WorkerRole', 'ReconcileRole']) {
      expect(props(role).ManagedPolicyArns).toBeUndefined();
      expect(props(role).AssumeRolePolicyDocument).toMatchObject({
        Statement: [
          {
            Principal: { Service: 'lambda.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
          },
        ],
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------------

describe('template.yaml: API', () => {
  const pathOf = (resourceId: Json): string => {
    if (typeof resourceId === 'object' && resourceId && 'Fn::GetAtt' in resourceId) return '';
    const id = (resourceId as { Ref: string }).Ref;
    const r = props(id);
    return `${pathOf(r.ParentId)}/${r.PathPart}`;
  };
  // The API's methods; the web page's (GET /, GET /assets/{file}) are test/integration/template-web.test.ts's.
  const PAGE_METHODS = new Set(['WebPageGetMethod', 'WebAssetGetMethod']);
  const methods = Object.fromEntries(
    ofType('AWS::ApiGateway::Method')
      .filter(([id]) => !PAGE_METHODS.has(id))
      .map(([, r]) => {
        const p = r.Properties ?? {};
        return [`${p.HttpMethod} ${pathOf(p.ResourceId)}`, p];
      }),
  );

  // The API's own description: every operation it serves on AWS (the local-only /pulls review aside).
  const operations = async () => {
    const app = createApp({
      ctx: { policy: loadPolicyFile() } as AppContext,
      auth: { authenticate: async () => ({ ok: false, reason: 'no credential' }) },
      webhook: { repository: 'acme/infra', secret: 'unused' },
    });
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const all = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    return [...all, { route: 'GET /openapi.json', op: {} }];
  };

  it("serves every route of the API's OpenAPI description, each through the API function as a Lambda proxy", async () => {
    const routes = (await operations()).map((o) => o.route).sort();
    expect(routes).toContain('GET /request-form');
    expect(Object.keys(methods).sort()).toEqual(routes);
    for (const method of Object.values(methods)) {
      expect(method.Integration).toEqual({
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: {
          'Fn::Sub':
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
            'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ApiFunction.Arn}/invocations',
        },
      });
    }
    expect(props('ApiInvokePermission')).toMatchObject({
      FunctionName: getAtt('ApiFunction', 'Arn'),
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it('authorizes the secured routes with IAM or API keys as AuthMode says; the others check nothing at the gateway', async () => {
    const ops = await operations();
    const secured = ops.filter((o) => (o.op.security ?? []).length > 0).map((o) => o.route);
    expect(secured.sort()).toEqual([
      'DELETE /databases/{db_name}',
      'GET /audit',
      'GET /databases',
      'GET /databases/{db_name}',
      'GET /request-form',
      'GET /requests',
      'GET /requests/{id}',
      'GET /whoami',
      'PATCH /databases/{db_name}',
      'POST /provision',
      'POST /reports/apply',
      'POST /reports/drift',
      'POST /reports/plan',
    ]);
    for (const route of secured) {
      expect(methods[route], route).toMatchObject({
        AuthorizationType: { 'Fn::If': ['UseApiKey', 'NONE', 'AWS_IAM'] },
        ApiKeyRequired: { 'Fn::If': ['UseApiKey', true, false] },
      });
    }
    for (const route of ops.map((o) => o.route).filter((r) => !secured.includes(r))) {
      expect(methods[route]?.AuthorizationType, route).toBe('NONE');
      expect(methods[route]?.ApiKeyRequired, route).toBeUndefined();
    }
    for (const id of [
      'ApiUsagePlan',
      'ApiKey',
      'ApiUsagePlanKey',
      'PipelineApiKey',
      'PipelineUsagePlanKey',
    ]) {
      expect(resources[id]?.Condition, id).toBe('UseApiKey');
    }
  });

  it("gives the API function the pipeline's principal: the role CI assumes, or the pipeline's own API key", () => {
    const env = (template.Globals.Function.Environment as { Variables: Props }).Variables;
    expect(env.PIPELINE_PRINCIPAL_ARN).toEqual(ref('PipelinePrincipalArn'));
    expect(env.PIPELINE_API_KEY_ID).toEqual({ 'Fn::If': ['UseApiKey', ref('PipelineApiKey'), ''] });
    // Empty (the default): no pipeline, and the report routes answer 401; otherwise what config.ts takes.
    const parameter = template.Parameters.PipelinePrincipalArn as { Default: string; AllowedPattern: string };
    expect(parameter.Default).toBe('');
    const allowed = new RegExp(parameter.AllowedPattern);
    const config = (value: string) => LambdaEnv.shape.PIPELINE_PRINCIPAL_ARN.safeParse(value).success;
    for (const value of [
      '',
      'arn:aws:iam::123456789012:role/ci/rds-provisioner-pipeline',
      'arn:aws:iam::123456789012:user/ci',
      'arn:aws-us-gov:iam::123456789012:role/deployer',
      // Every role CI reports with (plan and drift, apply, prod apply), comma-separated.
      'arn:aws:iam::123456789012:role/terraform-plan,arn:aws:iam::123456789012:role/ci/terraform-apply',
      'arn:aws:iam::123456789012:role/terraform-plan , arn:aws:iam::123456789012:user/ci, ',
    ]) {
      expect(allowed.test(value), value).toBe(true);
      expect(config(value), value).toBe(true);
    }
    for (const value of [
      'arn:aws:sts::123456789012:assumed-role/deployer/s',
      'deployer',
      'arn:aws:iam::1:role/x',
      'arn:aws:iam::123456789012:role/terraform-plan,deployer',
      'arn:aws:iam::123456789012:role/terraform-plan arn:aws:iam::123456789012:role/terraform-apply',
    ]) {
      expect(allowed.test(value), value).toBe(false);
      expect(config(value), value).toBe(false);
    }
    // Both keys in the one usage plan; the function tells them apart.
    expect(props('PipelineUsagePlanKey')).toEqual({
      KeyId: ref('PipelineApiKey'),
      KeyType: 'API_KEY',
      UsagePlanId: ref('ApiUsagePlan'),
    });
  });

  it('deploys anew when the auth mode changes, to a stage with access logs, tracing and throttling', () => {
    const deployments = ofType('AWS::ApiGateway::Deployment');
    expect(deployments.map(([, r]) => r.Condition).sort()).toEqual(['UseApiKey', 'UseIam']);
    for (const [, deployment] of deployments) {
      expect([deployment.DependsOn].flat().length).toBe(Object.keys(methods).length + PAGE_METHODS.size);
    }
    const stage = props('ApiStage');
    expect(stage.TracingEnabled).toBe(true);
    expect((stage.AccessLogSetting as Props).DestinationArn).toEqual(getAtt('ApiAccessLogGroup', 'Arn'));
    expect((stage.MethodSettings as Props[])[0]).toMatchObject({
      ResourcePath: '/*',
      HttpMethod: '*',
      ThrottlingRateLimit: ref('ApiThrottleRateLimit'),
      ThrottlingBurstLimit: ref('ApiThrottleBurstLimit'),
    });
  });

  it('outputs the API and webhook URLs, the topic, both queues and the table', () => {
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'WebhookUrl',
        'TopicArn',
        'QueueUrl',
        'DeadLetterQueueUrl',
        'StatusTableName',
      ]),
    );
    expect(template.Outputs.TopicArn?.Value).toEqual(ref('RequestsTopic'));
    expect(template.Outputs.QueueUrl?.Value).toEqual(ref('RequestsQueue'));
    expect(template.Outputs.DeadLetterQueueUrl?.Value).toEqual(ref('DeadLetterQueue'));
    expect(template.Outputs.StatusTableName?.Value).toEqual(ref('StatusTable'));
  });
});

describe('template.yaml: tags', () => {
  // CloudFormation has no Tags property for these; the stack's own tags (samconfig.toml) reach them
  // where the service supports tags at all.
  const UNTAGGABLE = new Set([
    'AWS::ApiGateway::Resource',
    'AWS::ApiGateway::Method',
    'AWS::ApiGateway::Deployment',
    'AWS::ApiGateway::Account',
    'AWS::ApiGateway::UsagePlanKey',
    'AWS::Lambda::Permission',
    'AWS::SQS::QueuePolicy',
    'AWS::SNS::Subscription',
  ]);

  it('tags every function (Globals) and every other resource that takes tags', () => {
    expect(template.Globals.Function.Tags).toMatchObject({ application: 'rds-provisioner' });
    for (const id of FUNCTION_IDS) expect(props(id).Tags).toBeUndefined(); // Globals apply
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type === 'AWS::Serverless::Function' || UNTAGGABLE.has(resource.Type)) continue;
      expect(props(id).Tags, `${id} (${resource.Type})`).toContainEqual({
        Key: 'application',
        Value: 'rds-provisioner',
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Safe defaults (issue 14): a first deploy neither fails in a new account nor changes an account-wide
// setting. The stack as CloudFormation would resolve it, by parameter values and conditions.

describe('template.yaml: safe defaults', () => {
  const RISKY = ['ReserveConcurrency', 'ConfigureApiGatewayAccount'];
  const stackWith = (parameters: Record<string, string>) => {
    const stackTemplate = readTemplate();
    const evaluator = parameterEvaluator(stackTemplate, parameters, 'us-east-1');
    const present = Object.entries(stackTemplate.Resources).filter(
      ([, r]) => r.Condition === undefined || evaluator.condition(r.Condition),
    );
    return {
      types: new Set(present.map(([, r]) => r.Type)),
      has: (id: string) => present.some(([presentId]) => presentId === id),
      reserved: Object.fromEntries(
        FUNCTION_IDS.map((id) => [id, evaluator.evaluate(props(id).ReservedConcurrentExecutions)]),
      ),
    };
  };

  it('turns off reserved concurrency and the API Gateway account setting by default', () => {
    for (const name of RISKY) {
      expect(template.Parameters[name]?.Default, name).toBe('false');
      expect(template.Parameters[name]?.AllowedValues, name).toEqual(['true', 'false']);
    }
  });

  it('with the defaults: no function reserves concurrency and the stack has no AWS::ApiGateway::Account', () => {
    const stack = stackWith({ GitHubRepository: 'my-org/infra' });
    expect(stack.reserved).toEqual({
      ApiFunction: undefined,
      WorkerFunction: undefined,
      ReconcileFunction: undefined,
    });
    expect(stack.types.has('AWS::ApiGateway::Account')).toBe(false);
    expect(stack.has('ApiGatewayCloudWatchRole')).toBe(false);
  });

  it('with both turned on: each function reserves its concurrency and the stack sets the account CloudWatch role', () => {
    const stack = stackWith({
      GitHubRepository: 'my-org/infra',
      ReserveConcurrency: 'true',
      ConfigureApiGatewayAccount: 'true',
    });
    expect(stack.reserved).toEqual({ ApiFunction: '10', WorkerFunction: '2', ReconcileFunction: 1 });
    expect(stack.types.has('AWS::ApiGateway::Account')).toBe(true);
    expect(stack.has('ApiGatewayCloudWatchRole')).toBe(true);
    expect(props('ApiGatewayAccount').CloudWatchRoleArn).toEqual(getAtt('ApiGatewayCloudWatchRole', 'Arn'));
  });
});
