/**
 * The built CLI against a deployed stack's front door: the test gateway (test/support/api-gateway.ts,
 * routes from template.yaml, SigV4 verified by @smithy/signature-v4) in front of the real API handler,
 * wired to moto (DynamoDB, SNS, SQS, Secrets Manager created from template.yaml) and the GitHub
 * simulator. The CLI child finds its AWS credentials through the standard chain (the environment, or
 * AWS_SHARED_CREDENTIALS_FILE + AWS_PROFILE) and signs with src/client/aws-signature.ts; in api_key
 * mode it sends x-api-key. Every refusal is the CLI's one clear line and exit code, with nothing sent
 * past the gateway and no secret in any output.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as apiHandler } from '../../src/runtime/lambda/api.js';
import { type Gateway, type GatewayPrincipal, startGateway } from '../support/api-gateway.js';
import { type AwsRuntime, startAwsRuntime } from '../support/aws-runtime.js';
import { type CliRun, runCli } from '../support/cli.js';
import { closedPullRequestEvent, deliverPullRequestEvent } from '../support/github-webhooks.js';
import { tempDir } from '../support/server.js';
import { auroraState } from '../support/terraform-documents.js';

const TOKEN = 'ghp_cliAwsAuthTokenThatMustNeverLeak01234567';
const WEBHOOK_SECRET = 'whsec-cli-aws-auth-test-secret';
const REGION = 'us-east-1';
const PIPELINE_ROLE = 'arn:aws:iam::123456789012:role/ci-pipeline';

const ALICE: GatewayPrincipal = {
  accessKeyId: 'ASIAALICECLI00000001',
  secretAccessKey: 'aliceCliSecretThatMustNeverLeak/0123456789',
  sessionToken: 'alice-cli-session-token-never-printed',
  arn: 'arn:aws:sts::123456789012:assumed-role/Developer/alice',
};
const PIPELINE: GatewayPrincipal = {
  accessKeyId: 'ASIAPIPELINECLI00002',
  secretAccessKey: 'pipelineCliSecretThatMustNeverLeak/abcdef',
  sessionToken: 'pipeline-cli-session-token-never-printed',
  arn: 'arn:aws:sts::123456789012:assumed-role/ci-pipeline/GitHubActions',
};
const EXPIRED: GatewayPrincipal = {
  accessKeyId: 'ASIAEXPIREDCLI000003',
  secretAccessKey: 'expiredCliSecretThatMustNeverLeak/ghijklm',
  sessionToken: 'expired-cli-session-token-never-printed',
  arn: 'arn:aws:sts::123456789012:assumed-role/Developer/carol',
  expiration: new Date(Date.now() - 60_000),
};
const REQUESTER_KEY = 'requesterApiKeyValueNeverPrinted0123456789';
const PIPELINE_KEY = 'pipelineApiKeyValueNeverPrinted0123456789';
const SECRETS = [ALICE, PIPELINE, EXPIRED].flatMap((p) => [p.secretAccessKey, p.sessionToken as string]);
SECRETS.push(REQUESTER_KEY, PIPELINE_KEY, 'wrong-secret-never-printed');

const envCredentials = (p: GatewayPrincipal) => ({
  AWS_ACCESS_KEY_ID: p.accessKeyId,
  AWS_SECRET_ACCESS_KEY: p.secretAccessKey,
  AWS_SESSION_TOKEN: p.sessionToken ?? '',
});

describe('CLI on AWS: --auth iam and --auth api-key through API Gateway', { timeout: 180_000 }, () => {
  let aws: AwsRuntime;
  let gateway: Gateway;
  const work = tempDir('cli-aws-auth');
  const runs: CliRun[] = [];
  /** An empty AWS config: the runner's own ~/.aws never decides anything. */
  const emptyFile = join(work, 'empty');

  beforeAll(async () => {
    aws = await startAwsRuntime({
      token: TOKEN,
      webhookSecret: WEBHOOK_SECRET,
      region: REGION,
      parameters: { PipelinePrincipalArn: PIPELINE_ROLE },
    });
    gateway = await startGateway({
      authMode: 'iam',
      region: REGION,
      principals: [ALICE, PIPELINE, EXPIRED],
      functions: { ApiFunction: apiHandler },
    });
    writeFileSync(emptyFile, '');
  });

  afterAll(async () => {
    await gateway?.close();
    await aws?.stop();
  });

  /** The CLI with a clean AWS environment plus `env`; every run is kept to check for secrets. */
  async function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<CliRun> {
    const run = await runCli(args, {
      env: {
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: '',
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: '',
        AWS_ENDPOINT_URL: '',
        AWS_SHARED_CREDENTIALS_FILE: emptyFile,
        AWS_CONFIG_FILE: emptyFile,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_WEB_IDENTITY_TOKEN_FILE: '',
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
        RDS_PROVISIONER_URL: gateway.url,
        RDS_PROVISIONER_AUTH: '',
        RDS_PROVISIONER_API_TOKEN: '',
        RDS_PROVISIONER_PIPELINE_TOKEN: '',
        RDS_PROVISIONER_API_KEY: '',
        RDS_PROVISIONER_PIPELINE_API_KEY: '',
        GITHUB_ACTIONS: '',
        CIRCLECI: '',
        ...env,
      },
      ...(input !== undefined && { input }),
    });
    runs.push(run);
    return run;
  }

  const stateFile = (db: string) => {
    const file = join(work, `${db}-state.json`);
    writeFileSync(file, JSON.stringify(auroraState(db)));
    return file;
  };

  /** What the service holds about a request, read through the CLI as Alice. */
  async function statusOf(id: string) {
    const run = await cli(['status', id, '--json'], {
      ...envCredentials(ALICE),
      RDS_PROVISIONER_AUTH: 'iam',
    });
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout) as Record<string, unknown>;
  }

  let requestId: string;
  let mergeCommit: string;

  it('request --auth iam: accepted with the caller as requester; status as the same profile from a credentials file', async () => {
    const asked = await cli(
      ['request', '--auth', 'iam', '--db-name', 'ledger', '--engine', 'postgres', '--environment', 'dev'],
      envCredentials(ALICE),
    );
    expect(asked.stderr).toBe('');
    expect(asked.code).toBe(0);
    requestId = asked.stdout.split(/\s+/)[0] as string;
    expect(asked.stdout).toMatch(new RegExp(`^${requestId}  queued  `));
    expect(gateway.invocations.at(-1)).toMatchObject({ resourcePath: '/provision', userArn: ALICE.arn });
    await aws.drain();

    // The same person through AWS_SHARED_CREDENTIALS_FILE + AWS_PROFILE, the mode from the environment.
    const credentials = join(work, 'credentials');
    writeFileSync(
      credentials,
      `[alice]\naws_access_key_id = ${ALICE.accessKeyId}\naws_secret_access_key = ${ALICE.secretAccessKey}\naws_session_token = ${ALICE.sessionToken}\n`,
    );
    const shown = await cli(['status', requestId, '--json'], {
      RDS_PROVISIONER_AUTH: 'iam',
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_PROFILE: 'alice',
    });
    expect(shown.stderr).toBe('');
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'pr_open', requester: ALICE.arn });
    // With keys in the environment too, the chain signs with the profile, and one line says so.
    const both = await cli(['status', requestId], {
      ...envCredentials(EXPIRED),
      RDS_PROVISIONER_AUTH: 'iam',
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_PROFILE: 'alice',
    });
    expect([both.code, both.stderr]).toEqual([
      0,
      'warning: both AWS_PROFILE and AWS_ACCESS_KEY_ID are set: signing with AWS_PROFILE=alice\n',
    ]);
  });

  it('report apply: refused signed as a requester (nothing recorded), accepted signed as the pipeline role', async () => {
    const { number } = (await statusOf(requestId)).pull_request as { number: number };
    const merged = aws.sim.mergePull(number);
    mergeCommit = merged.merge_commit_sha as string;
    // GitHub's webhook through the gateway's unauthenticated route.
    const hook = await deliverPullRequestEvent(
      `${gateway.url}/webhooks/github`,
      WEBHOOK_SECRET,
      closedPullRequestEvent('acme/infra', merged),
    );
    expect(hook.status).toBe(200);
    expect((await statusOf(requestId)).status).toBe('merged');

    const args = ['report', 'apply', stateFile('ledger'), '--commit', mergeCommit, '--auth', 'iam'];
    const asRequester = await cli(args, envCredentials(ALICE));
    expect(asRequester).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "unauthorized: the service refused the caller signed in with the AWS credentials from the environment: AWS_ACCESS_KEY_ID (reports take the pipeline's IAM role (the stack's PipelinePrincipalArn), not a requester's credentials)\n",
    });
    expect((await statusOf(requestId)).status).toBe('merged');

    const asPipeline = await cli(args, envCredentials(PIPELINE));
    expect(asPipeline.stderr).toBe('');
    expect(asPipeline).toMatchObject({
      code: 0,
      stdout: `apply succeeded at ${mergeCommit.slice(0, 12)}: ledger ready (${requestId})\n`,
    });
    expect(gateway.invocations.at(-1)).toMatchObject({
      resourcePath: '/reports/apply',
      userArn: PIPELINE.arn,
    });
    expect(await statusOf(requestId)).toMatchObject({ status: 'ready' });
  });

  it('a wrong secret, an unknown key, a skewed clock, an expired session, no credentials, no region: one clear line, exit code, nothing sent past the gateway', async () => {
    const before = gateway.invocations.length;
    const list = ['requests', '--auth', 'iam'];
    expect(
      await cli(list, { ...envCredentials(ALICE), AWS_SECRET_ACCESS_KEY: 'wrong-secret-never-printed' }),
    ).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'the API refused the request signature: check the AWS credentials (from the environment: AWS_ACCESS_KEY_ID) and the region us-east-1\n',
    });
    expect(
      await cli(list, { ...envCredentials(ALICE), AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'nobody' }),
    ).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^no AWS credentials found \(from AWS_PROFILE=nobody\): /),
    });
    expect(await cli(list, envCredentials(EXPIRED))).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'the AWS credentials (from the environment: AWS_ACCESS_KEY_ID) have expired: renew them (aws sso login, or assume the role again) and retry\n',
    });
    expect(await cli(list, { ...envCredentials(ALICE), AWS_ACCESS_KEY_ID: 'ASIAUNKNOWNCLI000009' })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "the API does not know the AWS credentials (from the environment: AWS_ACCESS_KEY_ID): check that they are current and of the API's AWS account\n",
    });
    // A gateway whose clock is six minutes ahead of this machine's.
    const ahead = await startGateway({
      authMode: 'iam',
      region: REGION,
      principals: [ALICE],
      functions: { ApiFunction: apiHandler },
      clock: () => new Date(Date.now() + 6 * 60_000),
    });
    try {
      expect(await cli([...list, '--url', ahead.url], envCredentials(ALICE))).toEqual({
        code: 1,
        stdout: '',
        stderr:
          "the API refused the request signature: its time is more than 5 minutes off the API's; check this machine's clock\n",
      });
      expect(ahead.invocations).toEqual([]);
    } finally {
      await ahead.close();
    }
    const none = await cli(list);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^no AWS credentials found \(from the default AWS credential chain/);
    const host = new URL(gateway.url).host;
    expect(await cli(list, { ...envCredentials(ALICE), AWS_REGION: '' })).toEqual({
      code: 2,
      stdout: '',
      stderr: `--region: the region of ${host} is not in its name (a custom domain or a local URL): give --region, or set AWS_REGION\n`,
    });
    expect(await cli([...list, '--region', 'eu-west-1'], envCredentials(ALICE))).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "the API refused the request signature: the API is not in eu-west-1; give --region with the API's region\n",
    });
    const otherStage = gateway.url.replace(/\/Prod$/, '/Dev');
    expect(await cli([...list, '--url', otherStage], envCredentials(ALICE))).toEqual({
      code: 1,
      stdout: '',
      stderr: `the API answered "Missing Authentication Token" to GET /Dev/requests: no such route; check that --url is the stack's API URL with its stage, e.g. https://ID.execute-api.REGION.amazonaws.com/Prod (it is ${otherStage})\n`,
    });
    expect(gateway.invocations.length).toBe(before);
  });

  it('an unknown --auth or RDS_PROVISIONER_AUTH, a flag of another mode, a bearer token at the stack: refused clearly', async () => {
    const before = gateway.invocations.length;
    expect(await cli(['requests', '--auth', 'kerberos'])).toEqual({
      code: 2,
      stdout: '',
      stderr: '--auth: must be token, iam or api-key, not "kerberos"\n',
    });
    expect(await cli(['requests'], { RDS_PROVISIONER_AUTH: 'sigv4' })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'RDS_PROVISIONER_AUTH: must be token, iam or api-key, not "sigv4"\n',
    });
    expect(await cli(['requests', '--auth', 'iam', '--token', 'x'], envCredentials(ALICE))).toEqual({
      code: 2,
      stdout: '',
      stderr: '--token: only with --auth token (this call uses --auth iam)\n',
    });
    const bearer = await cli(['requests'], { RDS_PROVISIONER_API_TOKEN: 'a-bearer-token' });
    expect(bearer.code).toBe(1);
    expect(bearer.stderr).toBe(
      `the API at ${gateway.url} is a deployed stack (API Gateway answered "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."): it takes --auth iam or --auth api-key, not a bearer token; give --auth or set RDS_PROVISIONER_AUTH\n`,
    );
    expect(gateway.invocations.length).toBe(before);
  });

  describe('API keys (AuthMode=api_key)', () => {
    let keyGateway: Gateway;
    beforeAll(async () => {
      // The stack as deployed with AuthMode=api_key: the function reads the mode and the pipeline's key id.
      aws.setFunctionEnv({ AUTH_MODE: 'api_key', PIPELINE_API_KEY_ID: 'pk1pipeline' });
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

    const keyed = (args: string[], env: Record<string, string> = {}, input?: string) =>
      cli(args, { RDS_PROVISIONER_URL: keyGateway.url, ...env }, input);

    it('sends the key from the environment or --api-key-file; a wrong or missing key is refused clearly', async () => {
      const fromEnv = await keyed(['requests', '--json', '--auth', 'api-key'], {
        RDS_PROVISIONER_API_KEY: REQUESTER_KEY,
      });
      expect(fromEnv.stderr).toBe('');
      expect(fromEnv.code).toBe(0);
      expect(keyGateway.invocations.at(-1)).toMatchObject({
        resourcePath: '/requests',
        apiKeyId: 'rk1requester',
      });
      const keyFile = join(work, 'api-key');
      writeFileSync(keyFile, `${REQUESTER_KEY}\n`);
      const fromFile = await keyed(['requests', '--json', '--api-key-file', keyFile], {
        RDS_PROVISIONER_AUTH: 'api-key',
      });
      expect([fromFile.code, fromFile.stderr]).toEqual([0, '']);
      const fromStdin = await keyed(
        ['requests', '--json', '--auth', 'api-key', '--api-key-file', '-'],
        {},
        REQUESTER_KEY,
      );
      expect([fromStdin.code, fromStdin.stderr]).toEqual([0, '']);

      const before = keyGateway.invocations.length;
      expect(
        await keyed(['requests', '--auth', 'api-key'], { RDS_PROVISIONER_API_KEY: 'not-the-key-0123' }),
      ).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'the API refused the API key (from RDS_PROVISIONER_API_KEY): check it, and that it is enabled and in the usage plan of this stage\n',
      });
      expect(await keyed(['requests', '--auth', 'api-key'])).toEqual({
        code: 2,
        stdout: '',
        stderr:
          '--auth api-key: no API key given: set RDS_PROVISIONER_API_KEY or give --api-key-file <file> (- reads standard input)\n',
      });
      expect(keyGateway.invocations.length).toBe(before);
    });

    it("report apply: the pipeline's key passes the gateway and the service, a requester's key is refused", async () => {
      const args = ['report', 'apply', stateFile('ledger'), '--commit', mergeCommit, '--auth', 'api-key'];
      expect(await keyed(args, { RDS_PROVISIONER_PIPELINE_API_KEY: REQUESTER_KEY })).toEqual({
        code: 1,
        stdout: '',
        stderr:
          "unauthorized: the service refused the API key (from RDS_PROVISIONER_PIPELINE_API_KEY) (reports take the pipeline's API key (the stack's PipelineApiKeyId), not a requester's)\n",
      });
      // The same report again: the service takes it (already ready, so unchanged).
      const asPipeline = await keyed(args, { RDS_PROVISIONER_PIPELINE_API_KEY: PIPELINE_KEY });
      expect(asPipeline.stderr).toBe('');
      expect(asPipeline.code).toBe(0);
      expect(keyGateway.invocations.at(-1)).toMatchObject({
        resourcePath: '/reports/apply',
        apiKeyId: 'pk1pipeline',
      });
    });
  });

  it('never prints or logs a secret access key, session token or API key', () => {
    const printed = runs.map((r) => r.stdout + r.stderr).join('\n');
    expect(runs.length).toBeGreaterThan(10);
    for (const secret of SECRETS) {
      expect(printed.includes(secret), 'a secret was printed').toBe(false);
      expect(aws.output.join('').includes(secret), 'a secret was logged').toBe(false);
    }
  });
});
