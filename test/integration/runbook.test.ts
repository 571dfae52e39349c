/**
 * README.md's deploy runbook ("On AWS", "Deploy: the runbook"), tested from the README itself: every
 * numbered step is run here or marked with why it cannot be (test/support/readme-runbook.ts reads the
 * markers), and every block marked `run` runs as written, with bash, in order:
 *
 * - the AWS CLI (pinned in .venv by scripts/venv.sh) against moto, holding template.yaml's data
 *   resources as a first deploy leaves them (test/support/aws-stack.ts: the GitHub token secret empty,
 *   the webhook secret generated);
 * - the calls to the API through the local stand-in for API Gateway (test/support/api-gateway.ts: the
 *   template's routes, SigV4 checked by an independent verifier) in front of the real API handler, whose
 *   worker side is the GitHub simulator.
 *
 * What a deployed stack would print in the steps that cannot run here (step 6's outputs) is given to the
 * blocks as the variables those steps set: API_URL, WEBHOOK_URL, API_ID. The blocks run where the deployer
 * types them: the service's checkout with its config/policy.yaml edited as step 3 ("Your policy") asks. The
 * edit is by hand; editedPolicy() makes it here, into a working directory that links the checkout's files
 * and holds that edited copy as its own config/policy.yaml.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPlaceholderNetwork } from '../../src/domain/init-repo.js';
import { parsePolicy } from '../../src/domain/policy.js';
import { handler as apiHandler } from '../../src/runtime/lambda/api.js';
import { resetServices } from '../../src/runtime/lambda/services.js';
import { handler as workerHandler } from '../../src/runtime/lambda/worker.js';
import { type Gateway, type ProxyHandler, startGateway } from '../support/api-gateway.js';
import { type AwsStack, createStack, readTemplate } from '../support/aws-stack.js';
import { ROOT } from '../support/cli.js';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { pollOnce } from '../support/lambda-events.js';
import { type MotoServer, startMoto } from '../support/moto.js';
import { type Marker, type RunbookBlock, readRunbook, runbookSection } from '../support/readme-runbook.js';

const { steps } = readRunbook();
const blocks = steps.flatMap((step) => step.blocks.map((block) => ({ step, block })));
const markers = steps.flatMap((step) => step.markers.map((marker) => ({ step, marker })));
const markerOf = (id: string): { step: (typeof steps)[number]; marker: Marker } => {
  const found = markers.find((m) => m.marker.id === id);
  if (!found) throw new Error(`README runbook has no step marked ${id}`);
  return found;
};
const blockOf = (id: string): RunbookBlock => {
  const found = blocks.find((b) => b.block.marker?.id === id);
  if (!found) throw new Error(`README runbook has no block marked ${id}`);
  return found.block;
};

describe('README runbook: every step is run here or says why not', () => {
  it('numbers its steps 1, 2, 3... and marks every step and every shell block', () => {
    expect(steps.length).toBeGreaterThanOrEqual(10);
    expect(steps.map((s) => s.number)).toEqual(steps.map((_, i) => i + 1));
    for (const step of steps) {
      expect(
        step.markers.length,
        `step ${step.number} (${step.title}) has no runbook marker`,
      ).toBeGreaterThan(0);
    }
    for (const { step, block } of blocks) {
      expect(block.marker, `an unmarked block in step ${step.number}:\n${block.code}`).toBeDefined();
      expect(block.language, `step ${step.number}: blocks are sh`).toBe('sh');
    }
    const ids = markers.map((m) => m.marker.id);
    expect(new Set(ids).size, 'marker ids are unique').toBe(ids.length);
  });

  it('gives a reason for each step it does not run, and names an existing test for each run elsewhere', () => {
    for (const { step, marker } of markers) {
      if (marker.kind === 'not run')
        expect(marker.reason.split(/\s+/).length, `step ${step.number}`).toBeGreaterThan(3);
      if (marker.kind === 'run by')
        expect(existsSync(join(ROOT, marker.by)), `${marker.id}: ${marker.by}`).toBe(true);
    }
  });

  it('runs every block marked run in this file, and no step this file checks is missing from the README', () => {
    const marked = markers.filter((m) => m.marker.kind === 'run').map((m) => m.marker.id);
    expect([...marked].sort()).toEqual(Object.keys(RUN_CHECKS).sort());
  });

  it('installs with npm ci, as .ci/run does before the tests', () => {
    expect(markerOf('install').marker).toEqual({ id: 'install', kind: 'run by', by: '.ci/run' });
    expect(blockOf('install').code.trim()).toBe('npm ci');
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8').split('\n')).toContain('npm ci');
  });

  it('asks for the real policy before the build, and hands the same file to init-repo: one policy', () => {
    const edit = markerOf('edit-policy');
    expect(edit.step.title).toBe('Your policy');
    expect(edit.marker.kind).toBe('not run');
    const validate = blocks.find((b) => b.block.marker?.id === 'validate-policy');
    expect(validate?.step).toBe(edit.step);
    expect(validate?.block.code.trim()).toBe(
      'npx --no-install rds-provisioner validate-config config/policy.yaml',
    );
    expect(edit.step.number).toBeLessThan(markerOf('build').step.number);
    expect(markerOf('install').step.number).toBeLessThan(edit.step.number);
    // What the step asks to set: every REPLACE of the shipped policy.
    for (const key of ['aws.region', 'role_arn', 'network', 'default_tags.repository'])
      expect(edit.step.text, key).toContain(`\`${key}\``);
    // A later change: rebuild and redeploy, and the infrastructure repository's copy (init-repo refuses it).
    expect(edit.step.text.replace(/\s+/g, ' ')).toMatch(
      /sam build.*sam deploy.*conflict: config\/policy\.yaml/,
    );
    const initRepo = blockOf('init-repo').code;
    expect(initRepo).toMatch(/ --policy config\/policy\.yaml /);
    for (const flag of ['--region', '--role-arn', '--vpc', '--subnets', '--security-groups', '--cidr-blocks'])
      expect(initRepo, `init-repo takes ${flag} from the policy`).not.toContain(`${flag} `);
  });

  it("builds with a plain sam build: samconfig.toml's in-place build, which the template test runs", () => {
    expect(markerOf('build').marker).toEqual({
      id: 'build',
      kind: 'run by',
      by: 'test/integration/template.test.ts',
    });
    expect(blockOf('build').code.trim()).toBe('sam build');
    const samconfig = readFileSync(join(ROOT, 'samconfig.toml'), 'utf8');
    expect(samconfig).toMatch(/\[default\.build\.parameters\][^[]*\nbuild_in_source = true\n/);
    // template.test.ts's `sam build` reads the same samconfig.toml (it runs in the project directory).
    expect(readFileSync(join(ROOT, 'test/integration/template.test.ts'), 'utf8')).toMatch(
      /builds with sam build in place/,
    );
  });

  it("lists every template parameter in the deploy step's answers, with the template's default", () => {
    const deploy = markerOf('deploy').step;
    const rows = new Map(
      [...deploy.text.matchAll(/^\| `(\w+)`\s*\| ([^|]+?)\s*\|/gm)].map((m) => [
        m[1],
        (m[2] as string).trim(),
      ]),
    );
    const parameters = readTemplate().Parameters ?? {};
    expect([...rows.keys()].sort()).toEqual(Object.keys(parameters).sort());
    for (const [name, spec] of Object.entries(parameters)) {
      const shown = rows.get(name) as string;
      if (spec.Default === undefined) expect(shown, name).toBe('(none)');
      else if (spec.Default === '') expect(shown, name).toBe('(empty)');
      else expect(shown, name).toBe(`\`${spec.Default}\``);
    }
  });
});

describe('README and docs/aws-contract.md: the runtime the template uses', () => {
  const globals = readTemplate() as unknown as {
    Globals: { Function: { Runtime: string; Architectures: string[] } };
  };
  const { Runtime: runtime, Architectures: architectures } = globals.Globals.Function;
  const version = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];

  it.each([
    [
      'README.md (On AWS)',
      () => readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n## On AWS\n')[1]?.split('\n## ')[0] ?? '',
    ],
    ['docs/aws-contract.md', () => readFileSync(join(ROOT, 'docs/aws-contract.md'), 'utf8')],
  ])("%s names the functions' runtime as template.yaml does", (_, read) => {
    const text = read();
    expect(version).toBeDefined();
    const named = [...text.matchAll(/Node\.js (\d+)\b(?! and up| or later)/g)].map((m) => m[1]);
    expect(named.length, 'the runtime is named').toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set([version]));
    expect(text).toContain(architectures[0] as string);
  });
});

// ---------------------------------------------------------------------------------------------------
// The blocks marked run, against moto, the test gateway and the GitHub simulator.

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const OWNER = 'acme';
const REPO = 'infra';
const TOKEN = 'github_pat_runbookTokenThatMustNeverLeak0123456789';
const PIPELINE_ROLE = 'rds-provisioner-pipeline';
const API_ID = 'a1b2c3d4e5';
const SHIPPED_POLICY = readFileSync(join(ROOT, 'config/policy.yaml'), 'utf8');

/**
 * config/policy.yaml as step 3 asks a team to edit it (by hand): each REPLACE set, real-looking IDs for
 * the all-zero placeholders, each environment's Region, a role for prod, the repository tag.
 */
function editedPolicy(shipped = SHIPPED_POLICY): string {
  const edited = shipped
    .replace(/\b(vpc|subnet|sg)-0{12}(\d{5})\b/g, (_, kind: string, n: string) => `${kind}-0a1b2c3d4e5f${n}`)
    .replace(/^(\s+)region: eu-west-1$/gm, `$1region: ${REGION}`)
    .replace(/^(\s+)# role_arn: (arn:aws:iam::)\d{12}(:role\/\S+)$/m, `$1role_arn: $2${ACCOUNT}$3`)
    .replace('github.com/REPLACE-ME/rds-provisioner', `github.com/${OWNER}/${REPO}`);
  const parsed = parsePolicy(edited, 'the edited policy');
  if (!parsed.ok) throw new Error(`the edited policy is invalid: ${JSON.stringify(parsed.issues)}`);
  const environments = Object.entries(parsed.value.policy.environments);
  const left = environments.filter(
    ([, env]) => isPlaceholderNetwork(env.network) || env.aws?.region !== REGION,
  );
  if (left.length > 0 || /REPLACE-ME/.test(edited) || !/^\s+role_arn: /m.test(edited))
    throw new Error(`the edit left placeholders: ${left.map(([name]) => name).join(', ')}`);
  return edited;
}
const EDITED_POLICY = editedPolicy();
const policyOf = (text: string | undefined) => {
  const parsed = parsePolicy(text ?? '', 'config/policy.yaml');
  return parsed.ok ? parsed.value.policy : parsed.issues;
};
/** The deployer's own credentials: moto's, and a principal the gateway knows. */
const DEPLOYER = {
  accessKeyId: 'testing',
  secretAccessKey: 'testing',
  arn: `arn:aws:iam::${ACCOUNT}:user/deployer`,
};
/** A role's session: temporary credentials with a session token. */
const SESSION = {
  accessKeyId: 'ASIARUNBOOKSESSION01',
  secretAccessKey: 'runbook-session-secret-access-key-0123456789',
  sessionToken: 'runbook-session-token',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Developer/alice`,
};

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

let moto: MotoServer;
let stack: AwsStack;
let sim: GitHubSimulator;
let gateway: Gateway;
let home: string;
/** The deployer's working directory: the service's checkout, config/policy.yaml edited (step 3). */
let work: string;
const savedEnv = { ...process.env };

/** What the blocks see: the deployer's shell after step 6, with the tools on PATH. */
function shellEnv(): NodeJS.ProcessEnv {
  return {
    PATH: `${join(ROOT, '.venv', 'bin')}:${join(ROOT, '.venv', 'sam', 'bin')}:${process.env.PATH ?? ''}`,
    HOME: home,
    // npx's update check would reach for the registry and print a notice between the CLI's lines.
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    ...moto.env,
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
    API_URL: gateway.url,
    WEBHOOK_URL: `${gateway.url}/webhooks/github`,
    API_ID,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_TOKEN: TOKEN,
    // The repository's GitHub: the simulator (the service's own variable, as for `serve --github`).
    GITHUB_API_URL: sim.url,
    PIPELINE_ROLE,
  };
}

function bash(code: string, env: NodeJS.ProcessEnv = shellEnv()): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', code], {
      cwd: work,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 170_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

const explain = (r: Ran) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`.slice(-4_000);

async function runStep(id: string): Promise<Ran> {
  const r = await bash(blockOf(id).code);
  expect(r.code, explain(r)).toBe(0);
  return r;
}

async function secretValue(name: string): Promise<string | undefined> {
  const client = new SecretsManagerClient(moto.clientConfig);
  try {
    return (await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString;
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

/** What each block marked run must do, by its marker id. */
const RUN_CHECKS: Record<string, () => Promise<void>> = {
  'check-account': async () => {
    const r = await runStep('check-account');
    expect(r.stdout.trim().split('\n')).toEqual([ACCOUNT, REGION]);
  },
  'validate-policy': async () => {
    expect(readFileSync(join(work, 'config/policy.yaml'), 'utf8')).toBe(EDITED_POLICY);
    const r = await runStep('validate-policy');
    expect(r.stdout.trim()).toBe('config/policy.yaml: valid (3 environments: dev, staging, prod)');
  },
  'check-api-gateway-account': async () => {
    // A fresh account: no role, so ConfigureApiGatewayAccount=true is an option (None).
    expect((await runStep('check-api-gateway-account')).stdout.trim()).toBe('None');
    // Once something sets it, the step shows its role: keep the default false.
    const role = await bash(
      `aws iam create-role --role-name apigw-logs --assume-role-policy-document '{"Version":"2012-10-17","Statement":[]}' --query Role.Arn --output text`,
    );
    const arn = role.stdout.trim();
    await bash(
      `aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=${arn}`,
    );
    expect((await runStep('check-api-gateway-account')).stdout.trim()).toBe(arn);
  },
  'put-token': async () => {
    expect(await secretValue('github/pat'), 'the stack leaves the token empty').toBeUndefined();
    const r = await runStep('put-token');
    expect(r.stdout).not.toContain(TOKEN);
    expect(await secretValue('github/pat')).toBe(TOKEN);
  },
  'webhook-secret': async () => {
    const generated = await secretValue('github/webhook-secret');
    expect(generated).toMatch(/^[A-Za-z0-9]{48}$/);
    expect((await runStep('webhook-secret')).stdout.trim()).toBe(generated);
  },
  'init-repo': async () => {
    // One pull request of some 25 files in one commit, from the edited policy alone (no network flags).
    const r = await runStep('init-repo');
    const [pull] = sim.pulls();
    expect(sim.pulls()).toHaveLength(1);
    expect(pull).toMatchObject({
      state: 'open',
      head: { ref: 'rds-provisioner/init-repo' },
      base: { ref: 'main' },
    });
    expect(r.stdout).toContain(`pull request #${pull?.number}`);
    expect(r.stdout).toMatch(/written: terraform\/modules\/rds\//);
    expect(r.stdout).toMatch(/written: \.github\/workflows\//);
    // One policy: the repository gets the one the functions were built with, and nothing of it is a
    // placeholder (the networks and Regions came from it, not from flags).
    const files = sim.files('rds-provisioner/init-repo');
    expect(policyOf(files['config/policy.yaml'])).toEqual(policyOf(EDITED_POLICY));
    // (The live README's example root is documentation, not configuration.)
    const placeholders = Object.entries(files).filter(
      ([path, text]) => !path.endsWith('.md') && /\b(vpc|subnet|sg)-0{12}/.test(text),
    );
    expect(placeholders.map(([path]) => path)).toEqual([]);
    expect(files['terraform/live/backend.hcl']).toContain('my-org-terraform-state');
    // Run again, it changes nothing.
    const again = await runStep('init-repo');
    expect(again.stdout).toMatch(/already open: #\d+.*nothing changed/);
    expect(sim.pulls()).toHaveLength(1);
  },
  health: async () => {
    const r = await runStep('health');
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'ok' });
  },
  'cli-request': async () => {
    // `--wait` follows the request to its pull request: the worker runs meanwhile, as the SQS event
    // source would run it, until the CLI exits.
    const cli = bash(blockOf('cli-request').code);
    let done = false;
    void cli.then(() => {
      done = true;
    });
    const sqs = new SQSClient(moto.clientConfig);
    try {
      while (!done) {
        const { records } = await pollOnce(sqs, stack.queueUrl, workerHandler, { waitSeconds: 1 });
        if (records.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      sqs.destroy();
    }
    const r = await cli;
    expect(r.code, explain(r)).toBe(0);
    const pull = sim.pulls().find((p) => p.head.ref === 'feature/provision-rds-my-app-db');
    expect(pull?.state).toBe('open');
    expect(r.stdout).toContain('pr_open');
    expect(r.stdout).toContain(`#${pull?.number}`);
    // Signed by the CLI from the credential chain, verified by the gateway: the deployer's request.
    const provisions = gateway.invocations.filter((i) => i.resourcePath === '/provision');
    expect(provisions.at(-1)).toMatchObject({ method: 'POST', userArn: DEPLOYER.arn });
  },
  'curl-request': async () => {
    // Long-term keys (no session token), then a role's temporary credentials: curl signs, the gateway
    // verifies, and the request is that principal's.
    for (const [principal, dbName] of [
      [DEPLOYER, 'my-app-db-2'],
      [SESSION, 'my-app-db-3'],
    ] as const) {
      const r = await bash(blockOf('curl-request').code.replace('my-app-db-2', dbName), {
        ...shellEnv(),
        AWS_ACCESS_KEY_ID: principal.accessKeyId,
        AWS_SECRET_ACCESS_KEY: principal.secretAccessKey,
        ...('sessionToken' in principal ? { AWS_SESSION_TOKEN: principal.sessionToken } : {}),
      });
      expect(r.code, explain(r)).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'queued' });
      expect(gateway.invocations.at(-1)).toMatchObject({
        method: 'POST',
        resourcePath: '/provision',
        userArn: principal.arn,
      });
    }
  },
  'pipeline-invoke': async () => {
    await bash(
      `aws iam create-role --role-name ${PIPELINE_ROLE} --assume-role-policy-document '{"Version":"2012-10-17","Statement":[]}'`,
    );
    await runStep('pipeline-invoke');
    const r = await bash(
      `aws iam get-role-policy --role-name ${PIPELINE_ROLE} --policy-name rds-provisioner-reports --output json`,
    );
    expect(r.code, explain(r)).toBe(0);
    const policy = (JSON.parse(r.stdout) as { PolicyDocument: { Statement: unknown[] } }).PolicyDocument;
    expect(policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        Resource: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/Prod/POST/reports/*`,
      },
    ]);
  },
};

describe('README runbook: the steps that run here', () => {
  beforeAll(async () => {
    for (const tool of [join(ROOT, '.venv', 'bin', 'aws'), join(ROOT, 'dist', 'cli', 'main.js')]) {
      if (!existsSync(tool))
        throw new Error(`${tool} is missing: run \`npm run build && bash scripts/venv.sh\` first`);
    }
    home = mkdtempSync(join(tmpdir(), 'rdsp-runbook-'));
    work = join(home, 'rds-provisioner');
    mkdirSync(join(work, 'config'), { recursive: true });
    for (const name of readdirSync(ROOT))
      if (name !== 'config' && name !== '.git') symlinkSync(join(ROOT, name), join(work, name));
    writeFileSync(join(work, 'config/policy.yaml'), EDITED_POLICY);
    moto = await startMoto(REGION);
    sim = await startGitHubSimulator({ owner: OWNER, repo: REPO, tokens: [TOKEN] });
    // As `sam deploy` leaves it with the defaults: the token secret empty, the webhook secret generated.
    stack = await createStack(moto.clientConfig, {
      stackName: 'rds-provisioner',
      parameters: { GitHubRepository: `${OWNER}/${REPO}` },
    });
    Object.assign(process.env, moto.env, stack.env, {
      GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
      GITHUB_API_URL: sim.url,
      GITHUB_RETRIES: '0',
      AUTH_MODE: 'iam',
      POWERTOOLS_METRICS_NAMESPACE: 'RdsProvisionerRunbook',
    });
    resetServices();
    gateway = await startGateway({
      authMode: 'iam',
      region: REGION,
      principals: [DEPLOYER, SESSION],
      functions: { ApiFunction: apiHandler as ProxyHandler },
    });
  }, 120_000);

  afterAll(async () => {
    process.env = savedEnv;
    resetServices();
    await gateway?.close();
    await sim?.stop();
    await moto?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('answers a wrong signature as "When a call is refused" says: API Gateway\'s body to curl, one line from the CLI', async () => {
    const refused = (runbookSection().split('#### When a call is refused')[1] ?? '').replace(/\s+/g, ' ');
    const wrongSecret = { ...shellEnv(), AWS_SECRET_ACCESS_KEY: 'not-the-deployers-secret' };
    const curl = await bash(blockOf('curl-request').code.replace('-fsS', '-sS'), wrongSecret);
    expect(curl.code, explain(curl)).toBe(0);
    expect(refused).toContain(`\`${curl.stdout.trim()}\``);
    expect(JSON.parse(curl.stdout).message).toMatch(/^The request signature we calculated does not match/);
    const cli = await bash(
      'RDS_PROVISIONER_URL="$API_URL" node bin/rds-provisioner.js requests --auth iam',
      wrongSecret,
    );
    expect(cli.code).toBe(1);
    const line = cli.stderr.trim().split('\n').at(-1) as string;
    expect(line).toContain(
      'the API refused the request signature: check the AWS credentials (from the environment: AWS_ACCESS_KEY_ID) and the region us-east-1',
    );
    expect(refused).toContain(line.slice(line.indexOf('the API refused')));
    expect(cli.stderr).not.toContain('not-the-deployers-secret');
  }, 120_000);

  // In the README's order: later steps rely on earlier ones (the token before the first request).
  for (const { step, marker } of markers.filter((m) => m.marker.kind === 'run')) {
    it(`step ${step.number} (${step.title}): ${marker.id}`, async () => {
      const check = RUN_CHECKS[marker.id];
      if (!check) throw new Error(`no check for the runbook block ${marker.id}`);
      await check();
    }, 240_000);
  }

  it("refuses a changed policy over the infrastructure repository's copy, as the policy step says: a conflict, nothing written", async () => {
    const [setup] = sim.pulls().filter((p) => p.head.ref === 'rds-provisioner/init-repo');
    expect(setup?.state, 'the init-repo step ran').toBe('open');
    sim.mergePull(setup?.number as number);
    const before = sim.files('main');
    const pulls = sim.pulls().length;
    const changed = EDITED_POLICY.replace(
      '[sg-0a1b2c3d4e5f00011]',
      '[sg-0a1b2c3d4e5f00011, sg-0a1b2c3d4e5f00019]',
    );
    expect(changed).not.toBe(EDITED_POLICY);
    writeFileSync(join(work, 'config/policy.yaml'), changed);
    try {
      const r = await bash(blockOf('init-repo').code);
      expect(r.code, explain(r)).toBe(3);
      const line = `conflict: config/policy.yaml exists in ${OWNER}/${REPO} (main) with other content; init-repo never overwrites`;
      expect(r.stderr).toContain(line);
      expect(markerOf('edit-policy').step.text.replace(/\s+/g, ' ')).toContain(
        'conflict: config/policy.yaml exists in OWNER/REPO (main) with other content',
      );
      expect(sim.files('main')).toEqual(before);
      expect(sim.pulls()).toHaveLength(pulls);
    } finally {
      writeFileSync(join(work, 'config/policy.yaml'), EDITED_POLICY);
    }
  }, 240_000);
});

// The section parsed at all (a README without it fails every test above with this message).
runbookSection();
