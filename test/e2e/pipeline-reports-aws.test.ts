/**
 * The Terraform pipeline reporting to a deployed stack: the detect, plan and apply steps exactly as
 * .github/workflows/terraform.yml spells them (test/support/ci-steps.ts, a recording terraform printing
 * real `terraform show -json` documents), their `rds-provisioner report` calls going through the test
 * gateway (test/support/api-gateway.ts: routes from template.yaml, SigV4 verified by @smithy/signature-v4,
 * API keys checked) to the real API handler on moto. With RDS_PROVISIONER_AUTH=iam the reports are signed
 * with the job's AWS credentials (in GitHub Actions, the role configure-aws-credentials assumed), with
 * api-key they carry RDS_PROVISIONER_PIPELINE_API_KEY; a merged request moves to applying, then ready.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type AwsCredentials, signCall } from '../../src/client/aws-signature.js';
import { handler as apiHandler } from '../../src/runtime/lambda/api.js';
import { resetServices } from '../../src/runtime/lambda/services.js';
import { type Gateway, type GatewayPrincipal, startGateway } from '../support/api-gateway.js';
import { type AwsRuntime, startAwsRuntime } from '../support/aws-runtime.js';
import { fakeTerraformBin, type Run, runStepAsync } from '../support/ci-steps.js';
import { closedPullRequestEvent, deliverPullRequestEvent } from '../support/github-webhooks.js';
import { tempDir } from '../support/server.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const TOKEN = 'ghp_pipelineReportsAwsTokenNeverPrinted0123';
const WEBHOOK_SECRET = 'whsec-pipeline-reports-aws-secret';
const REGION = 'us-east-1';
/** The stack's PipelinePrincipalArn: every role CI reports with, the apply role and the plan role. */
const PIPELINE_ROLES =
  'arn:aws:iam::123456789012:role/ci-pipeline , arn:aws:iam::123456789012:role/terraform-plan';

const REQUESTER: GatewayPrincipal = {
  accessKeyId: 'ASIAREQUESTERPIPE001',
  secretAccessKey: 'requesterPipeSecretNeverPrinted/0123456789',
  sessionToken: 'requester-pipe-session-token-never-printed',
  arn: 'arn:aws:sts::123456789012:assumed-role/Developer/alice',
};
/** The role the apply job assumed (GitHub OIDC), one of the stack's PipelinePrincipalArn. */
const PIPELINE: GatewayPrincipal = {
  accessKeyId: 'ASIAPIPELINEPIPE0002',
  secretAccessKey: 'pipelinePipeSecretNeverPrinted/abcdefghij',
  sessionToken: 'pipeline-pipe-session-token-never-printed',
  arn: 'arn:aws:sts::123456789012:assumed-role/ci-pipeline/GitHubActions',
};
/** Another role a job may assume, which the stack's PipelinePrincipalArn does not list. */
const OTHER_ROLE: GatewayPrincipal = {
  accessKeyId: 'ASIAOTHERROLEPIPE003',
  secretAccessKey: 'otherRolePipeSecretNeverPrinted/klmnopqrs',
  sessionToken: 'other-role-pipe-session-token-never-printed',
  arn: 'arn:aws:sts::123456789012:assumed-role/terraform-admin/GitHubActions',
};
const REQUESTER_KEY = 'requesterPipeApiKeyNeverPrinted0123456789';
const PIPELINE_KEY = 'pipelinePipeApiKeyNeverPrinted0123456789';
const SECRETS = [REQUESTER, PIPELINE, OTHER_ROLE].flatMap((p) => [
  p.secretAccessKey,
  p.sessionToken as string,
]);
SECRETS.push(REQUESTER_KEY, PIPELINE_KEY, TOKEN);

type Obj = Record<string, unknown>;
const workflow = parse(readFileSync(join(root, '.github/workflows/terraform.yml'), 'utf8')) as Obj;
const ghStep = (job: string, test: (s: Obj) => boolean) =>
  String((((workflow.jobs as Obj)[job] as Obj).steps as Obj[]).find(test)?.run);
const DETECT = ghStep('detect', (s) => s.id === 'roots');
const PLAN = ghStep('plan', (s) => s.id === 'plan');
const APPLY = ghStep('apply', (s) => /ci-apply-roots\.sh/.test(String(s.run)));

const hasDist = existsSync(join(root, 'dist/cli/main.js'));
const hasJq = (() => {
  try {
    execFileSync('jq', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const write = (dir: string, path: string, text: string) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};
/** A real `terraform show -json` document of the aurora database `orders`, as `db`'s. */
const documentOf = (name: string, db: string) =>
  readFileSync(join(root, 'test/fixtures/terraform-json/aurora', `${name}.json`), 'utf8').replaceAll(
    'orders',
    db,
  );

const awsEnv = (p: GatewayPrincipal) => ({
  AWS_ACCESS_KEY_ID: p.accessKeyId,
  AWS_SECRET_ACCESS_KEY: p.secretAccessKey,
  AWS_SESSION_TOKEN: p.sessionToken ?? '',
});

describe.skipIf(!hasDist || !hasJq)(
  "the pipeline's reports to a deployed stack (RDS_PROVISIONER_AUTH=iam or api-key)",
  { timeout: 240_000 },
  () => {
    let aws: AwsRuntime;
    let gateway: Gateway;
    let bin: string;
    const work = tempDir('pipeline-reports-aws');
    const runs: Run[] = [];
    let counter = 0;
    const fresh = (name: string) => {
      const dir = join(work, `${name}-${counter++}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    };

    beforeAll(async () => {
      aws = await startAwsRuntime({
        token: TOKEN,
        webhookSecret: WEBHOOK_SECRET,
        region: REGION,
        parameters: { PipelinePrincipalArn: PIPELINE_ROLES },
      });
      gateway = await startGateway({
        authMode: 'iam',
        region: REGION,
        principals: [REQUESTER, PIPELINE, OTHER_ROLE],
        functions: { ApiFunction: apiHandler },
      });
      bin = fakeTerraformBin(work);
    });
    afterAll(async () => {
      await gateway?.close();
      await aws?.stop();
    });

    /** A requester's call through the gateway: signed (iam) or with their API key (api_key). */
    async function call(base: string, method: string, path: string, body?: object): Promise<Obj> {
      const url = `${base}${path}`;
      const headers = new Headers({ 'content-type': 'application/json' });
      const text = body === undefined ? undefined : JSON.stringify(body);
      const sent =
        base === gateway.url
          ? await signCall({ url, method, headers, body: text ?? null }, REQUESTER as AwsCredentials, REGION)
          : headers;
      if (base !== gateway.url) sent.set('x-api-key', REQUESTER_KEY);
      const response = await fetch(url, { method, headers: sent, ...(text !== undefined && { body: text }) });
      const answer = (await response.json()) as Obj;
      expect(response.status, JSON.stringify(answer)).toBeLessThan(300);
      return answer;
    }
    const statusOf = (base: string, id: string) => call(base, 'GET', `/requests/${id}`);

    /** A request for `db`, its pull request opened by the worker, merged on GitHub, the webhook delivered. */
    async function mergedRequest(base: string, db: string) {
      const accepted = await call(base, 'POST', '/provision', {
        db_name: db,
        engine: 'postgres',
        environment: 'dev',
      });
      const id = accepted.request_id as string;
      await aws.drain();
      const { number } = (await statusOf(base, id)).pull_request as { number: number };
      const merged = aws.sim.mergePull(number);
      const hook = await deliverPullRequestEvent(
        `${base}/webhooks/github`,
        WEBHOOK_SECRET,
        closedPullRequestEvent('acme/infra', merged),
      );
      expect(hook.status).toBe(200);
      expect((await statusOf(base, id)).status).toBe('merged');
      return { id, mergeCommit: merged.merge_commit_sha as string };
    }

    /**
     * The CI checkout of main after the merge: the database's root as the merge left it on GitHub, the
     * module, the shared backend file and the policy; the built CLI and the scripts linked in, as `npm ci
     * --ignore-scripts` and `tsc` leave them in CI. Returns the commits before and after the root came.
     */
    function checkout(mergeCommit: string, db: string) {
      const dir = fresh('checkout');
      git(dir, 'init', '-q', '-b', 'main');
      git(dir, 'config', 'user.email', 'ci@example.com');
      git(dir, 'config', 'user.name', 'ci');
      write(dir, 'config/policy.yaml', readFileSync(join(root, 'config/policy.yaml'), 'utf8'));
      write(dir, 'terraform/modules/rds/main.tf', 'variable "name" {}\n');
      cpSync(join(root, 'terraform/live/backend.hcl'), join(dir, 'terraform/live/backend.hcl'));
      write(dir, '.gitignore', '/dist\n/bin\n/scripts\n');
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', 'base');
      const base = git(dir, 'rev-parse', 'HEAD');
      const files = Object.entries(aws.sim.files(mergeCommit)).filter(([path]) =>
        new RegExp(`^terraform/live/[^/]+/${db}/`).test(path),
      );
      expect(files.length).toBeGreaterThan(0);
      for (const [path, text] of files) write(dir, path, text);
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', `the merge of ${db}`);
      for (const link of ['dist', 'bin', 'scripts']) symlinkSync(join(root, link), join(dir, link));
      return { dir, base, head: git(dir, 'rev-parse', 'HEAD') };
    }

    /**
     * One push to main: detect, plan (not reported: no pull request) and the nonprod apply, with `report`
     * the reporting steps' environment (RDS_PROVISIONER_*, the job's AWS credentials). RUN_COMMIT is the
     * merge commit on GitHub (github.sha), which the reports name.
     */
    async function pushToMain(mergeCommit: string, db: string, report: Record<string, string>) {
      const { dir, base, head } = checkout(mergeCommit, db);
      const json = fresh('json');
      writeFileSync(join(json, `${db}.plan.json`), documentOf('create-plan', db));
      writeFileSync(join(json, `${db}.state.json`), documentOf('state', db));
      const logs = fresh('logs');
      const env: Record<string, string> = {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        PLAN_DIR: fresh('plan'),
        TF_CALLS: join(logs, 'calls'),
        TF_APPLIED: join(logs, 'applied'),
        TF_JSON: json,
        RUN_COMMIT: mergeCommit,
        RUN_ID: `run-${counter}`,
        PROD_ENVIRONMENTS: 'prod',
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: 'push',
        GITHUB_SHA: mergeCommit,
        // As configure-aws-credentials leaves a job; no AWS config of the machine running the tests.
        AWS_REGION: REGION,
        AWS_CONFIG_FILE: join(work, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(work, 'none'),
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      const detect = await runStepAsync(DETECT, dir, { ...env, BASE: base, HEAD: head }, work);
      expect(detect.status, detect.stderr).toBe(0);
      const plan = await runStepAsync(PLAN, dir, { ...env, BATCH: '0', REPORT_PLAN: 'false' }, work);
      expect(plan.status, plan.stdout + plan.stderr).toBe(0);
      const apply = await runStepAsync(
        APPLY,
        dir,
        { ...env, ...report, BATCH: '0', APPLY_GATE: 'nonprod' },
        work,
      );
      runs.push(detect, plan, apply);
      expect(apply.status, apply.stdout + apply.stderr).toBe(0);
      expect(readFileSync(env.TF_APPLIED as string, 'utf8')).toMatch(
        new RegExp(`^applied terraform/live/dev/${db} `),
      );
      return apply;
    }

    const short = (commit: string) => commit.slice(0, 12);
    const statuses = async (base: string, id: string) =>
      ((await statusOf(base, id)).history as Array<{ status: string }>).map((h) => h.status);

    it("iam: the apply's reports are signed with the job's AWS credentials; a role PipelinePrincipalArn does not list is refused (a warning, the request stays merged), the listed apply role's moves it to ready", async () => {
      const { id, mergeCommit } = await mergedRequest(gateway.url, 'ledger');
      const report = { RDS_PROVISIONER_URL: gateway.url, RDS_PROVISIONER_AUTH: 'iam' };

      const before = gateway.invocations.length;
      const refused = await pushToMain(mergeCommit, 'ledger', { ...report, ...awsEnv(OTHER_ROLE) });
      expect(refused.stdout).toContain(
        '::warning title=rds-provisioner report::report apply was not recorded by rds-provisioner (exit 1); this job goes on without it',
      );
      expect(refused.stderr).toContain(
        "unauthorized: the service refused the caller signed in with the AWS credentials from the environment: AWS_ACCESS_KEY_ID (reports take the pipeline's IAM role (the stack's PipelinePrincipalArn), not a requester's credentials)",
      );
      expect(gateway.invocations.slice(before).map((i) => [i.resourcePath, i.userArn])).toEqual([
        ['/reports/apply', OTHER_ROLE.arn],
        ['/reports/apply', OTHER_ROLE.arn],
      ]);
      expect((await statusOf(gateway.url, id)).status).toBe('merged');

      const applied = await pushToMain(mergeCommit, 'ledger', { ...report, ...awsEnv(PIPELINE) });
      expect(applied.stdout).toContain(`apply started at ${short(mergeCommit)}: ledger applying (${id})`);
      expect(applied.stdout).toContain(`apply succeeded at ${short(mergeCommit)}: ledger ready (${id})`);
      expect(applied.stdout).not.toContain('::warning');
      expect(gateway.invocations.slice(-2).map((i) => [i.resourcePath, i.userArn])).toEqual([
        ['/reports/apply', PIPELINE.arn],
        ['/reports/apply', PIPELINE.arn],
      ]);
      expect((await statuses(gateway.url, id)).slice(-3)).toEqual(['merged', 'applying', 'ready']);
      expect((await statusOf(gateway.url, id)).connection).toMatchObject({
        commit: mergeCommit,
        request_id: id,
      });
    });

    describe('api-key (a stack with AuthMode=api_key)', () => {
      let keyGateway: Gateway;
      beforeAll(async () => {
        // The stack as deployed with AuthMode=api_key: the function reads the mode and the pipeline's key id.
        Object.assign(process.env, { AUTH_MODE: 'api_key', PIPELINE_API_KEY_ID: 'pk1pipeline' });
        resetServices();
        keyGateway = await startGateway({
          authMode: 'api_key',
          region: REGION,
          apiKeys: [
            { id: 'rk1requester', value: REQUESTER_KEY },
            { id: 'pk1pipeline', value: PIPELINE_KEY },
          ],
          functions: { ApiFunction: apiHandler },
        });
      });
      afterAll(async () => keyGateway?.close());

      it("without RDS_PROVISIONER_PIPELINE_API_KEY nothing is sent and the line names it; with the pipeline's key the apply moves the request to ready", async () => {
        const { id, mergeCommit } = await mergedRequest(keyGateway.url, 'billing');
        const report = { RDS_PROVISIONER_URL: keyGateway.url, RDS_PROVISIONER_AUTH: 'api-key' };

        const before = keyGateway.invocations.length;
        const unsent = await pushToMain(mergeCommit, 'billing', report);
        expect(unsent.stdout).toContain(
          'report: not sent (set RDS_PROVISIONER_PIPELINE_API_KEY to report to rds-provisioner with RDS_PROVISIONER_AUTH=api-key)',
        );
        expect(keyGateway.invocations.length).toBe(before);
        expect((await statusOf(keyGateway.url, id)).status).toBe('merged');

        const applied = await pushToMain(mergeCommit, 'billing', {
          ...report,
          RDS_PROVISIONER_PIPELINE_API_KEY: PIPELINE_KEY,
        });
        expect(applied.stdout).toContain(`apply succeeded at ${short(mergeCommit)}: billing ready (${id})`);
        expect(keyGateway.invocations.slice(-2).map((i) => [i.resourcePath, i.apiKeyId])).toEqual([
          ['/reports/apply', 'pk1pipeline'],
          ['/reports/apply', 'pk1pipeline'],
        ]);
        expect((await statuses(keyGateway.url, id)).slice(-3)).toEqual(['merged', 'applying', 'ready']);
      });
    });

    it('no step prints a secret access key, session token, API key or the GitHub token', () => {
      const printed = runs.map((r) => r.stdout + r.stderr).join('\n');
      expect(runs.length).toBeGreaterThanOrEqual(12);
      for (const secret of SECRETS) expect(printed).not.toContain(secret);
      for (const secret of SECRETS) expect(aws.output.join('')).not.toContain(secret);
    });
  },
);
