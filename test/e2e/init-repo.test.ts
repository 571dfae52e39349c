/**
 * `rds-provisioner init-repo`, the built CLI as a user runs it: a local git checkout (the files in its
 * working tree, nothing committed), and --github against the GitHub simulator (one branch, one commit,
 * one pull request). Run twice, it changes nothing; over other content it adds; over a file with other
 * content it writes nothing and names the file (exit 3); bad flags write nothing and name each flag
 * (exit 2). The Terraform it writes passes the checks the repository's own does (HashiCorp's parser and
 * formatter, and `terraform validate` with a root rendered from the policy it wrote, where Terraform and
 * the provider mirror are here), and the pipeline it writes validates against the CI schemas and keeps
 * this repository's Terraform jobs step for step.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MODULE_DIR } from '../../src/domain/layout.js';
import { CLI_HOME } from '../../src/render/infra-pipeline.js';
import { ROOT, runCli } from '../support/cli.js';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { formatHcl, parseHcl } from '../support/hcl.js';
import { policyTextWithLayout } from '../support/layouts.js';
import { REAL_REPOSITORY, realPolicyText } from '../support/real-policy.js';
import {
  admitMirror,
  provider,
  repositoryCopy,
  terraformEnv,
  terraformUsable,
} from '../support/terraform-mirror.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const work = mkdtempSync(join(tmpdir(), 'rdsp-init-repo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const NETWORK_FLAGS = [
  ['--vpc', 'dev=vpc-0a1b2c3d4e5f60001'],
  ['--subnets', 'dev=subnet-0a1b2c3d4e5f60011,subnet-0a1b2c3d4e5f60012'],
  ['--security-groups', 'dev=sg-0a1b2c3d4e5f60011'],
  ['--vpc', 'staging=vpc-0a1b2c3d4e5f60002'],
  ['--subnets', 'staging=subnet-0a1b2c3d4e5f60021,subnet-0a1b2c3d4e5f60022'],
  ['--cidr-blocks', 'staging=10.20.0.0/16'],
  ['--vpc', 'prod=vpc-0a1b2c3d4e5f60003'],
  ['--subnets', 'prod=subnet-0a1b2c3d4e5f60031,subnet-0a1b2c3d4e5f60032,subnet-0a1b2c3d4e5f60033'],
  ['--security-groups', 'prod=sg-0a1b2c3d4e5f60031'],
].flat();

/** What no policy holds: the state bucket, and where the pipeline fetches the CLI from. */
const STATE_AND_CLI = [
  '--state-bucket',
  'acme-terraform-state',
  '--state-region',
  'eu-west-1',
  '--cli-source',
  'https://github.com/acme/rds-provisioner.git',
  '--cli-ref',
  'v0.1.0',
];

const COMMON = [...STATE_AND_CLI, ...NETWORK_FLAGS];

/** Every per-database flag: regions, prod's role, the repository tag, the pipeline. */
const PER_DATABASE = [
  ...COMMON,
  '--pipeline',
  'github-actions',
  '--region',
  'eu-central-1',
  '--region',
  'prod=eu-west-1',
  '--role-arn',
  'prod=arn:aws:iam::123456789012:role/rds-provisioner-terraform',
  '--repository',
  'github.com/acme/infra',
];

function gitRepo(name: string, files: Record<string, string> = {}): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: dir,
      encoding: 'utf8',
    });
  git('init', '-q', '-b', 'main');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'start');
  return dir;
}

/** Every file under a directory (but .git), by relative path, with its modification time. */
function snapshot(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      if (name === '.git') continue;
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), statSync(path).mtimeMs);
    }
  };
  walk(dir);
  return out;
}

const packageModuleFiles = () =>
  [...snapshot(join(ROOT, MODULE_DIR)).keys()].filter((p) => !p.includes('.terraform')).sort();

const commitCount = (dir: string) =>
  execFileSync('git', ['rev-list', '--count', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();

function compileSchema(file: string) {
  const schema = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/ci-schemas', file), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** Every Terraform file it wrote parses with HashiCorp's parser and is `terraform fmt` clean. */
async function expectTerraformClean(dir: string) {
  const files = [...snapshot(dir).keys()].filter((p) => /\.(tf|tfvars|hcl)$/.test(p));
  expect(files.length).toBeGreaterThan(10);
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    await parseHcl(file, text);
    expect(await formatHcl(text), `${file} is not terraform fmt clean`).toBe(text);
  }
}

/** `terraform validate` of a root: the repository's module (mirror-admitted) and live files, one database rendered in. */
function terraformValidate(repo: string, policy: string, layout: 'per-database' | 'single-root') {
  const copy = repositoryCopy(work);
  mkdirSync(join(copy, 'terraform/live'), { recursive: true });
  for (const file of readdirSync(join(repo, 'terraform/live')))
    if (/\.(tf|tfvars|hcl)$/.test(file))
      writeFileSync(
        join(copy, 'terraform/live', file),
        admitMirror(readFileSync(join(repo, 'terraform/live', file), 'utf8')),
      );
  const request = [
    '--db-name',
    'orders',
    '--engine',
    'postgres',
    '--environment',
    'prod',
    '--owner',
    'team-o',
  ];
  const path = execFileSync(
    process.execPath,
    [join(ROOT, 'bin/rds-provisioner.js'), 'render', '--config', policy, ...request, '--path'],
    {
      encoding: 'utf8',
    },
  ).trim();
  const text = execFileSync(
    process.execPath,
    [join(ROOT, 'bin/rds-provisioner.js'), 'render', '--config', policy, ...request],
    {
      encoding: 'utf8',
    },
  );
  mkdirSync(dirname(join(copy, path)), { recursive: true });
  writeFileSync(join(copy, path), admitMirror(text));
  const root = layout === 'per-database' ? dirname(join(copy, path)) : join(copy, 'terraform/live');
  const env = terraformEnv(work);
  execFileSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: root, env });
  const run = spawnSync('terraform', ['validate', '-json', '-no-color'], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  const result = JSON.parse(run.stdout) as { valid: boolean; diagnostics: unknown[] };
  expect(result.diagnostics).toEqual([]);
  expect(result.valid).toBe(true);
}

describe('init-repo PATH: a local checkout, per-database layout, GitHub Actions', () => {
  let repo: string;
  let first: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    repo = gitRepo('per-database', { 'README.md': '# infra\n', 'docs/notes.md': 'ours\n' });
    first = await runCli(['init-repo', repo, ...PER_DATABASE]);
  });

  it('writes the module, terraform/live with the backend, the policy and the pipeline, commits nothing', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const files = [...snapshot(repo).keys()].sort();
    for (const file of packageModuleFiles()) {
      expect(files).toContain(`${MODULE_DIR}/${file}`);
      expect(readFileSync(join(repo, MODULE_DIR, file), 'utf8')).toBe(
        readFileSync(join(ROOT, MODULE_DIR, file), 'utf8'),
      );
      expect(first.stdout).toContain(`written: ${MODULE_DIR}/${file}`);
    }
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/notes.md',
        'terraform/live/README.md',
        'terraform/live/backend.hcl',
        'config/policy.yaml',
        '.github/workflows/terraform.yml',
      ]),
    );
    expect(files.filter((f) => f.startsWith('.circleci'))).toEqual([]);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('# infra\n');
    expect(readFileSync(join(repo, 'terraform/live/backend.hcl'), 'utf8')).toMatch(
      /bucket {7}= "acme-terraform-state"\nregion {7}= "eu-west-1"\nencrypt {6}= true\nuse_lockfile = true\n$/,
    );
    expect(first.stdout).toMatch(/nothing committed/);
    expect(commitCount(repo)).toBe('1');
  });

  it('puts each environment region, role and network, and the repository tag, in the policy it writes', () => {
    const policy = parse(readFileSync(join(repo, 'config/policy.yaml'), 'utf8'));
    expect(policy.git.layout).toBe('per-database');
    expect(policy.environments.dev.aws).toEqual({ region: 'eu-central-1' });
    expect(policy.environments.prod.aws).toEqual({
      region: 'eu-west-1',
      role_arn: 'arn:aws:iam::123456789012:role/rds-provisioner-terraform',
    });
    expect(policy.environments.staging.network).toEqual({
      vpc_id: 'vpc-0a1b2c3d4e5f60002',
      subnet_ids: ['subnet-0a1b2c3d4e5f60021', 'subnet-0a1b2c3d4e5f60022'],
      allowed_cidr_blocks: ['10.20.0.0/16'],
    });
    expect(policy.default_tags.repository).toBe('github.com/acme/infra');
  });

  it('keeps every comment of the packaged policy, and the lines no flag set as they were', () => {
    const packaged = readFileSync(join(ROOT, 'config/policy.yaml'), 'utf8').split('\n');
    const written = readFileSync(join(repo, 'config/policy.yaml'), 'utf8').split('\n');
    const comments = (lines: string[]) => lines.filter((line) => /^\s*#/.test(line));
    expect(comments(written)).toEqual(comments(packaged));
    const flagged =
      /^\s+(region|role_arn|vpc_id|subnet_ids|allowed_security_group_ids|allowed_cidr_blocks|repository):/;
    expect(written.filter((line) => !flagged.test(line))).toEqual(
      packaged.filter((line) => !flagged.test(line)),
    );
  });

  it('a second run rewrites nothing and says it is up to date', async () => {
    const before = snapshot(repo);
    const again = await runCli(['init-repo', repo, ...PER_DATABASE]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/^written:/m);
    expect(again.stdout).toMatch(/is up to date/);
    expect(snapshot(repo)).toEqual(before);
  });

  it('writes Terraform that parses and is terraform fmt clean', async () => {
    await expectTerraformClean(join(repo, 'terraform'));
  });

  it.skipIf(!terraformUsable)(
    `a root rendered with the policy it wrote passes terraform validate (hashicorp/aws ${provider?.version})`,
    () => terraformValidate(repo, join(repo, 'config/policy.yaml'), 'per-database'),
    120_000,
  );

  it("writes a workflow that validates against SchemaStore's schema and keeps this repository's Terraform jobs", () => {
    const text = readFileSync(join(repo, '.github/workflows/terraform.yml'), 'utf8');
    expect(text).toMatch(/^# Terraform, root by root, for the databases rds-provisioner provisions/);
    expect(text).not.toContain('# Terraform, root by root (docs/pipelines.md)');
    const workflow = parse(text);
    const validate = compileSchema('github-workflow.schema.json');
    expect(validate(workflow), JSON.stringify(validate.errors)).toBe(true);
    const own = parse(readFileSync(join(ROOT, '.github/workflows/terraform.yml'), 'utf8'));
    expect(Object.keys(workflow.jobs)).toEqual(Object.keys(own.jobs));
    expect(workflow.on.push.paths).toEqual([
      'terraform/**',
      'config/policy.yaml',
      '.github/workflows/terraform.yml',
    ]);
    expect(workflow.env).toMatchObject({
      ...own.env,
      RDS_PROVISIONER_SOURCE: 'https://github.com/acme/rds-provisioner.git',
      RDS_PROVISIONER_REF: 'v0.1.0',
      RDS_PROVISIONER_BIN: `${CLI_HOME}/bin/rds-provisioner.js`,
    });
    for (const [name, job] of Object.entries(workflow.jobs) as [
      string,
      { steps: Record<string, unknown>[] },
    ][]) {
      const ownSteps = (own.jobs[name].steps as Record<string, unknown>[]).filter(
        (step) => step.name !== 'npm ci --ignore-scripts',
      );
      expect(job.steps.length, name).toBe(ownSteps.length);
      for (const [i, step] of job.steps.entries()) {
        const ownStep = ownSteps[i] as Record<string, unknown>;
        if (ownStep.name === 'Build the CLI') {
          expect(step.name).toBe('The rds-provisioner CLI');
          expect(step.run).toMatch(/git -C "\$RDS_PROVISIONER_HOME" fetch -q --depth 1/);
          continue;
        }
        const mine = JSON.stringify(ownStep).replaceAll(
          /bash scripts\/(ci-[a-z-]+\.sh)/g,
          'bash \\"$RDS_PROVISIONER_HOME/scripts/$1\\"',
        );
        const { cache: _cache, ...withoutCache } = (ownStep.with ?? {}) as Record<string, unknown>;
        const expected = JSON.parse(mine);
        if (ownStep.with) expected.with = withoutCache;
        expect(step, `${name} step ${i}`).toEqual(expected);
      }
    }
  });

  it('the ci scripts run from the fetched source with RDS_PROVISIONER_BIN: the detect step finds a root', () => {
    // A database root committed in the set-up repository, and the detect script run from elsewhere.
    const root = join(repo, 'terraform/live/dev/orders');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'main.tf'), '# orders\n');
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: repo,
        encoding: 'utf8',
      });
    git('add', '-A');
    git('commit', '-q', '-m', 'setup and orders');
    const out = join(work, 'detect-out');
    const run = spawnSync('bash', [join(ROOT, 'scripts/ci-changed-roots.sh'), 'HEAD~1', 'HEAD', out], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, RDS_PROVISIONER_BIN: join(ROOT, 'bin/rds-provisioner.js') },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const roots = JSON.parse(readFileSync(join(out, 'roots.json'), 'utf8')) as { root: string }[];
    // The module and backend.hcl came with the same commit: every root is planned, and there is one.
    expect(roots.map((r) => r.root)).toEqual(['terraform/live/dev/orders']);
  });
});

describe("init-repo --policy with the team's real values: the policy is written as given", () => {
  const real = realPolicyText();
  let policy: string;
  /** No network, region or repository flag: the policy holds them all. */
  const fromPolicy = (where: string[]) => [
    'init-repo',
    ...where,
    '--policy',
    policy,
    '--pipeline',
    'github-actions',
    ...STATE_AND_CLI,
  ];
  beforeAll(() => {
    policy = join(work, 'real-policy.yaml');
    writeFileSync(policy, real);
  });

  it('a checkout already holding the very same config/policy.yaml: unchanged, not a conflict', async () => {
    const repo = gitRepo('same-policy', { 'config/policy.yaml': real });
    const run = await runCli(fromPolicy([repo]));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^unchanged: config\/policy\.yaml$/m);
    expect(run.stdout).toMatch(/^written: terraform\/live\/backend\.hcl$/m);
    expect(readFileSync(join(repo, 'config/policy.yaml'), 'utf8')).toBe(real);
  });

  it("--github: the default tag github.com/OWNER/REPO leaves the policy's own tag alone; main's same policy is unchanged", async () => {
    const sim = await startGitHubSimulator({
      files: { 'README.md': '# infra\n', 'config/policy.yaml': real },
    });
    try {
      expect(`github.com/${sim.owner}/${sim.repo}`).not.toBe(REAL_REPOSITORY);
      const run = await runCli(fromPolicy(['--github', `${sim.owner}/${sim.repo}`]), {
        env: { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: sim.url },
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^unchanged: config\/policy\.yaml$/m);
      expect(run.stdout).toMatch(/^pull request #1: /m);
      expect(sim.files('rds-provisioner/init-repo')['config/policy.yaml']).toBe(real);
      expect(sim.violations).toEqual([]);
    } finally {
      await sim.stop();
    }
  });
});

describe('init-repo PATH: single-root layout, CircleCI', () => {
  let repo: string;
  let policy: string;
  const flags = () => [
    ...COMMON,
    '--policy',
    policy,
    '--pipeline',
    'circleci',
    '--region',
    'eu-west-1',
    '--repository',
    'github.com/acme/infra',
  ];
  beforeAll(() => {
    repo = gitRepo('single-root');
    policy = join(work, 'single-root-policy.yaml');
    writeFileSync(policy, policyTextWithLayout('single-root'));
  });

  it("writes the single root's files with the backend, region and networks in them, and the CircleCI config", async () => {
    const run = await runCli(['init-repo', repo, ...flags()]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const live = readdirSync(join(repo, 'terraform/live')).sort();
    expect(live).toEqual([
      'README.md',
      'backend.tf',
      'networks.auto.tfvars',
      'networks.tf',
      'providers.auto.tfvars',
      'providers.tf',
    ]);
    const tfvars = await parseHcl(
      'networks.auto.tfvars',
      readFileSync(join(repo, 'terraform/live/networks.auto.tfvars'), 'utf8'),
    );
    expect(tfvars.networks).toMatchObject({
      prod: {
        vpc_id: 'vpc-0a1b2c3d4e5f60003',
        subnet_ids: ['subnet-0a1b2c3d4e5f60031', 'subnet-0a1b2c3d4e5f60032', 'subnet-0a1b2c3d4e5f60033'],
        allowed_security_group_ids: ['sg-0a1b2c3d4e5f60031'],
        allowed_cidr_blocks: [],
      },
      staging: { allowed_cidr_blocks: ['10.20.0.0/16'] },
    });
    expect(readFileSync(join(repo, 'terraform/live/providers.auto.tfvars'), 'utf8')).toMatch(
      /region {5}= "eu-west-1"\nrepository = "github.com\/acme\/infra"\n$/,
    );
    expect(readFileSync(join(repo, 'terraform/live/backend.tf'), 'utf8')).toContain('"acme-terraform-state"');
    await expectTerraformClean(join(repo, 'terraform'));

    const configText = readFileSync(join(repo, '.circleci/config.yml'), 'utf8');
    expect(configText).toMatch(/^# Terraform on CircleCI for the databases rds-provisioner provisions/);
    expect(configText).not.toMatch(/rds-provisioner CI\/CD on CircleCI| +\n/);
    const config = parse(configText);
    const validate = compileSchema('circleci-config.schema.json');
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    const own = parse(readFileSync(join(ROOT, '.circleci/config.yml'), 'utf8'));
    expect(Object.keys(config.workflows).sort()).toEqual(['terraform', 'terraform-drift']);
    expect(Object.keys(config.jobs).sort()).toEqual(
      Object.keys(own.jobs)
        .filter((job) => job.startsWith('terraform-'))
        .sort(),
    );
    for (const job of Object.keys(config.jobs))
      expect(JSON.stringify(config.jobs[job])).toBe(
        JSON.stringify(own.jobs[job]).replaceAll(
          /bash scripts\/(ci-[a-z-]+\.sh)/g,
          'bash \\"$RDS_PROVISIONER_HOME/scripts/$1\\"',
        ),
      );
    expect(config.workflows).toEqual({
      terraform: own.workflows.terraform,
      'terraform-drift': own.workflows['terraform-drift'],
    });
    expect(config.executors.ci.environment).toMatchObject({
      TF_STATE_BUCKET: 'acme-terraform-state',
      TF_STATE_REGION: 'eu-west-1',
      RDS_PROVISIONER_REF: 'v0.1.0',
    });
    expect(JSON.stringify(config)).not.toMatch(/npm test|sam deploy|sam build/);
  });

  it.skipIf(!terraformUsable)(
    'the single root with a rendered database passes terraform validate',
    () => terraformValidate(repo, policy, 'single-root'),
    120_000,
  );

  it('a second run rewrites nothing', async () => {
    const before = snapshot(repo);
    const again = await runCli(['init-repo', repo, ...flags()]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/is up to date/);
    expect(snapshot(repo)).toEqual(before);
  });
});

describe('init-repo PATH: a repository with other content', () => {
  it('a file there with other content is a conflict: exit 3, every such file named, nothing written', async () => {
    const repo = gitRepo('conflict', {
      'terraform/live/backend.hcl': 'bucket = "someone-elses"\n',
      '.github/workflows/terraform.yml': 'name: theirs\n',
      'terraform/modules/rds/main.tf': '# their module\n',
    });
    const before = snapshot(repo);
    const run = await runCli(['init-repo', repo, ...PER_DATABASE]);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    for (const file of [
      '.github/workflows/terraform.yml',
      'terraform/live/backend.hcl',
      'terraform/modules/rds/main.tf',
    ])
      expect(run.stderr).toContain(
        `conflict: ${file} exists in ${repo} with other content; init-repo never overwrites`,
      );
    expect(run.stderr).toMatch(/nothing was written/);
    expect(snapshot(repo)).toEqual(before);
  });

  it('a directory where a file goes is a conflict too', async () => {
    const repo = gitRepo('conflict-dir', { 'config/policy.yaml/keep': 'x\n' });
    const before = snapshot(repo);
    const run = await runCli(['init-repo', repo, ...PER_DATABASE]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('conflict: config/policy.yaml exists');
    expect(snapshot(repo)).toEqual(before);
  });
});

describe('init-repo: bad input writes nothing and names each flag (exit 2)', () => {
  const without = (flag: string) => {
    const args = [...PER_DATABASE];
    const at = args.indexOf(flag);
    args.splice(at, 2);
    return args;
  };
  const cases: Array<{ name: string; args: (repo: string) => string[]; stderr: RegExp[] }> = [
    {
      name: 'no flags (stdin not a terminal): every missing flag listed',
      args: (repo) => [repo, '--cli-source', 'https://github.com/acme/rds-provisioner.git'],
      stderr: [
        /^--pipeline: missing: give --pipeline circleci\|github-actions$/m,
        /^--state-bucket: missing: give --state-bucket acme-terraform-state$/m,
        /^--state-region: missing/m,
        /^--vpc dev: missing: give --vpc dev=vpc-0123456789abcdef0$/m,
        /^--subnets prod: missing/m,
        /^--region staging: missing: give --region staging=eu-west-1$/m,
        /^--repository: missing/m,
      ],
    },
    {
      name: 'a VPC id that is not one, a lone subnet, an unknown environment',
      args: (repo) =>
        [
          repo,
          ...PER_DATABASE,
          '--vpc',
          'qa=vpc-0a1b2c3d4e5f60009',
          '--subnets',
          'dev=subnet-0a1b2c3d4e5f60011',
        ].map((arg) => (arg === 'dev=vpc-0a1b2c3d4e5f60001' ? 'dev=vpc-XYZ' : arg)),
      stderr: [
        /^--vpc qa: qa is not an environment of the policy \(dev, staging, prod\)$/m,
        /^--subnets dev: given twice$/m,
        /^--vpc dev: must be a VPC id such as vpc-0123456789abcdef0$/m,
      ],
    },
    {
      name: 'a bad bucket, region, role, CIDR and pipeline',
      args: (repo) => [
        repo,
        ...without('--state-bucket')
          .map((arg) => (arg === 'github-actions' ? 'jenkins' : arg))
          .map((arg) => (arg === 'eu-central-1' ? 'europe' : arg))
          .map((arg) => (arg === 'staging=10.20.0.0/16' ? 'staging=10.20.0.0' : arg)),
        '--state-bucket',
        'Not_A_Bucket',
        '--role-arn',
        'dev=arn:aws:iam::12:role/x',
      ],
      stderr: [
        /^--pipeline: must be one of: circleci, github-actions$/m,
        /^--state-bucket: must be an S3 bucket name/m,
        /^--region: must be an AWS Region name such as eu-west-1$/m,
        /^--role-arn dev: must be an IAM role ARN/m,
        /^--cidr-blocks staging: /m,
      ],
    },
    {
      name: 'a path that is not a directory',
      args: (repo) => [join(repo, 'missing'), ...PER_DATABASE],
      stderr: [/missing: not a directory/],
    },
    {
      name: 'both a path and --github',
      args: (repo) => [repo, '--github', 'acme/infra', ...PER_DATABASE],
      stderr: [/^init-repo: give a local PATH or --github OWNER\/REPO, not both$/m],
    },
    {
      name: 'a malformed --github',
      args: () => ['--github', 'acme', ...PER_DATABASE],
      stderr: [/^--github: must be OWNER\/REPO, got "acme"$/m],
    },
  ];
  for (const { name, args, stderr } of cases) {
    it(name, async () => {
      const repo = gitRepo(`bad-${cases.findIndex((c) => c.name === name)}`);
      const before = snapshot(repo);
      const run = await runCli(['init-repo', ...args(repo)]);
      for (const line of stderr) expect(run.stderr).toMatch(line);
      expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
      expect(run.stdout).toBe('');
      expect(run.code).toBe(2);
      expect(snapshot(repo)).toEqual(before);
    });
  }

  it('the single-root layout refuses per-environment regions and roles, naming each', async () => {
    const repo = gitRepo('bad-single-root');
    const untouched = snapshot(repo);
    const policy = join(work, 'bad-single-root.yaml');
    writeFileSync(policy, policyTextWithLayout('single-root'));
    const run = await runCli([
      'init-repo',
      repo,
      ...PER_DATABASE.filter((arg, i) => arg !== 'eu-central-1' && PER_DATABASE[i + 1] !== 'eu-central-1'),
      '--policy',
      policy,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^--region prod: the single-root layout has one provider/m);
    expect(run.stderr).toMatch(/^--role-arn prod: applies only to git.layout per-database/m);
    expect(run.stderr).toMatch(/^--region: missing/m);
    expect(snapshot(repo)).toEqual(untouched);
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!hasScript)('init-repo on a terminal: asks for what is missing', () => {
  it('asks for each missing flag in turn and uses the answers (util-linux script gives it a terminal)', () => {
    const repo = gitRepo('prompted');
    const flags = PER_DATABASE.filter(
      (arg, i) =>
        !['--pipeline', 'github-actions', '--state-bucket', 'acme-terraform-state'].includes(arg) &&
        !(PER_DATABASE[i - 1] === '--state-bucket'),
    );
    const command = [process.execPath, join(ROOT, 'bin/rds-provisioner.js'), 'init-repo', repo, ...flags]
      .map((arg) => `'${arg}'`)
      .join(' ');
    const run = spawnSync('script', ['-qec', command, '/dev/null'], {
      input: 'github-actions\nacme-terraform-state\n',
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stdout).toMatch(/--pipeline \(e\.g\. circleci\|github-actions\): /);
    expect(run.stdout).toMatch(/--state-bucket \(e\.g\. acme-terraform-state\): /);
    expect(run.stdout).toMatch(/written: terraform\/live\/backend\.hcl/);
    expect(run.status).toBe(0);
    expect(readFileSync(join(repo, 'terraform/live/backend.hcl'), 'utf8')).toContain(
      '"acme-terraform-state"',
    );
    expect(existsSync(join(repo, '.github/workflows/terraform.yml'))).toBe(true);
  });
});

describe('init-repo --github OWNER/REPO: one pull request', () => {
  let sim: GitHubSimulator;
  const env = () => ({ GITHUB_TOKEN: 'test-token', GITHUB_API_URL: sim.url });
  const args = () => ['init-repo', '--github', `${sim.owner}/${sim.repo}`, ...PER_DATABASE];
  beforeAll(async () => {
    sim = await startGitHubSimulator();
  });
  afterAll(() => sim.stop());

  it('opens one branch with one commit of every file on main, and one pull request; the files beside it stay', async () => {
    const main = sim.resolve('main') as string;
    const run = await runCli(args(), { env: env() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^pull request #1: https:\/\/github.com\/acme\/infrastructure\/pull\/1 /m);
    const pulls = sim.pulls();
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({
      head: { ref: 'rds-provisioner/init-repo' },
      base: { ref: 'main' },
      state: 'open',
    });
    const head = sim.commit(pulls[0]?.head.sha as string);
    expect(head?.parents).toEqual([main]);
    const files = sim.files('rds-provisioner/init-repo');
    expect(files['README.md']).toBe(sim.files('main')['README.md']);
    expect(files['terraform/live/existing.tf']).toBe(sim.files('main')['terraform/live/existing.tf']);
    expect(files['terraform/live/backend.hcl']).toMatch(/"acme-terraform-state"/);
    expect(files['.github/workflows/terraform.yml']).toMatch(/RDS_PROVISIONER_REF: v0.1.0/);
    for (const file of packageModuleFiles())
      expect(files[`${MODULE_DIR}/${file}`]).toBe(readFileSync(join(ROOT, MODULE_DIR, file), 'utf8'));
    expect(sim.violations).toEqual([]);
    expect(sim.problems).toEqual([]);
  });

  it('a second run opens nothing: the pull request is already open', async () => {
    const branches = sim.branches();
    sim.resetCounters();
    const run = await runCli(args(), { env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^a pull request is already open: #1 https:\/\/github.com\/acme\/infrastructure\/pull\/1; nothing changed/m,
    );
    expect(sim.counters.mutations).toBe(0);
    expect(sim.pulls()).toHaveLength(1);
    expect(sim.branches()).toEqual(branches);
  });

  it('once merged, a run says main is up to date and changes nothing', async () => {
    sim.mergePull(1);
    sim.resetCounters();
    const run = await runCli(args(), { env: env() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /acme\/infrastructure is up to date: main holds every file with the same content; nothing changed/,
    );
    expect(sim.counters.mutations).toBe(0);
    expect(sim.pulls()).toHaveLength(1);
  });

  it('a conflicting file on main: exit 3, the file named, no branch, commit or pull request', async () => {
    const other = await startGitHubSimulator({
      files: { 'README.md': '# infra\n', 'terraform/live/backend.hcl': 'bucket = "theirs"\n' },
    });
    try {
      const run = await runCli(['init-repo', '--github', `${other.owner}/${other.repo}`, ...PER_DATABASE], {
        env: { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: other.url },
      });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(
        'conflict: terraform/live/backend.hcl exists in acme/infrastructure (main) with other content; init-repo never overwrites',
      );
      expect(other.counters.mutations).toBe(0);
      expect(Object.keys(other.branches())).toEqual(['main']);
      expect(other.pulls()).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('after its pull request was closed unmerged, a run opens a new one from the same branch, again one commit', async () => {
    const other = await startGitHubSimulator();
    const run = (env = { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: other.url }) =>
      runCli(['init-repo', '--github', `${other.owner}/${other.repo}`, ...PER_DATABASE], { env });
    try {
      expect((await run()).code).toBe(0);
      other.closePull(1);
      other.commitFiles('main', { 'docs/later.md': 'a later commit on main\n' });
      const again = await run();
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^pull request #2: /m);
      const pull = other.pull(2);
      expect(pull).toMatchObject({ head: { ref: 'rds-provisioner/init-repo' }, state: 'open' });
      // Moved onto main's new head: one commit on top of it, holding main's later file.
      expect(other.commit(pull?.head.sha as string)?.parents).toEqual([other.resolve('main')]);
      expect(other.files('rds-provisioner/init-repo')['docs/later.md']).toBe('a later commit on main\n');
      expect(other.violations).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('without credentials: exit 2 naming the variables, nothing sent', async () => {
    sim.resetCounters();
    const run = await runCli(args(), { env: { GITHUB_TOKEN: '', GITHUB_API_URL: sim.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^GitHub credentials missing: set GITHUB_TOKEN/m);
    expect(sim.counters.requests).toBe(0);
  });
});
