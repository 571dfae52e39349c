/**
 * The CI/CD pipelines: .circleci/config.yml and .github/workflows/*.yml (docs/pipelines.md).
 *
 * Each file is validated against its platform's published JSON schema, vendored in test/fixtures/ci-schemas/
 * by scripts/update-ci-schemas.mjs (CircleCI's own config schema and SchemaStore's github-workflow.json, as
 * the PyPI package check-jsonschema 0.39.0 ships them; SOURCES.json records where each came from). Then the
 * behaviour that matters is asserted: deploy only from main, plan on the other branches, apply only the
 * plan saved earlier in the same pipeline, approval before a plan that touches prod is applied, Terraform
 * and Node.js pinned (every run that calls terraform uses the pinned one), actions pinned by commit, no
 * secrets. The plan report (a jq program, the same text in both pipelines) and the CircleCI apply gate are
 * run for real on synthetic plans (jq and bash, as in CI).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// ajv-formats is CommonJS; under NodeNext its default import is the module object in the type system.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const read = (path: string): string => readFileSync(resolve(root, path), 'utf8');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what} is not a mapping`);
  return v;
}
function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what} is not a string`);
  return v;
}
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

// ---------------------------------------------------------------------------------------------- schemas

const SCHEMA_DIR = 'test/fixtures/ci-schemas';
interface SchemaSource {
  file: string;
  sha256: string;
  json_schema_draft: string;
}
const sources = JSON.parse(read(`${SCHEMA_DIR}/SOURCES.json`)) as {
  package: string;
  schemas: SchemaSource[];
};

function compileSchema(file: string) {
  const schema = JSON.parse(read(`${SCHEMA_DIR}/${file}`)) as Obj;
  // Both schemas are draft-07: Ajv's default class. strict: false lets their editor keywords
  // (markdownDescription, ...) through.
  expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}
const formatErrors = (errors: ErrorObject[] | null | undefined): string =>
  (errors ?? [])
    .slice(0, 20)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n');

describe('test/fixtures/ci-schemas', () => {
  it('holds the schemas SOURCES.json records, byte for byte', () => {
    expect(sources.package).toBe('check-jsonschema==0.39.0');
    expect(sources.schemas.map((s) => s.file).sort()).toEqual([
      'circleci-config.schema.json',
      'github-workflow.schema.json',
    ]);
    for (const s of sources.schemas) {
      const digest = createHash('sha256')
        .update(readFileSync(resolve(root, SCHEMA_DIR, s.file)))
        .digest('hex');
      expect(digest, `${s.file}: regenerate with node scripts/update-ci-schemas.mjs`).toBe(s.sha256);
    }
  });
});

// ---------------------------------------------------------------------------------------------- CircleCI

const circleText = read('.circleci/config.yml');
const circle = obj(parse(circleText), '.circleci/config.yml');
const circleCommands = obj(circle.commands, 'commands');
const circleJobs = obj(circle.jobs, 'jobs');
const circleExecutors = obj(circle.executors, 'executors');

interface Step {
  kind: string; // run, checkout, store_artifacts, persist_to_workspace, attach_workspace, ...
  value: unknown;
  /** The command (commands:) the step comes from, if any. */
  via?: string;
  /** For run steps: the shell script, with << parameters.x >> substituted. */
  script?: string;
}

function substitute(value: unknown, params: Obj): unknown {
  if (typeof value === 'string') {
    return value.replace(/<<\s*parameters\.([\w-]+)\s*>>/g, (whole, name: string) =>
      name in params ? String(params[name]) : whole,
    );
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, params));
  if (isObj(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, params)]));
  return value;
}

function defaults(declared: unknown): Obj {
  if (!isObj(declared)) return {};
  const out: Obj = {};
  for (const [name, spec] of Object.entries(declared))
    if (isObj(spec) && 'default' in spec) out[name] = spec.default;
  return out;
}

/** A job's steps with commands expanded (recursively) and parameters substituted. */
function expandSteps(steps: unknown, params: Obj, via?: string): Step[] {
  const out: Step[] = [];
  for (const raw of list(steps, 'steps')) {
    const [kind, value] =
      typeof raw === 'string' ? [raw, undefined] : (Object.entries(obj(raw, 'step'))[0] ?? []);
    if (kind === undefined) throw new Error('empty step');
    if (kind in circleCommands) {
      const command = obj(circleCommands[kind], `commands.${kind}`);
      const args = { ...defaults(command.parameters), ...(isObj(value) ? value : {}) };
      out.push(...expandSteps(substitute(command.steps, args), args, kind));
      continue;
    }
    const v = substitute(value, params);
    const step: Step = { kind, value: v };
    if (via !== undefined) step.via = via;
    if (kind === 'run') step.script = typeof v === 'string' ? v : str(obj(v, 'run').command, 'run.command');
    out.push(step);
  }
  return out;
}

function jobSteps(job: string, params: Obj = {}): Step[] {
  const spec = obj(circleJobs[job], `jobs.${job}`);
  const args = { ...defaults(spec.parameters), ...params };
  return expandSteps(substitute(spec.steps, args), args);
}

interface Invocation {
  workflow: string;
  job: string;
  name: string;
  spec: Obj;
}
const invocations: Invocation[] = Object.entries(obj(circle.workflows, 'workflows')).flatMap(
  ([workflow, wf]) =>
    list(obj(wf, workflow).jobs, `${workflow}.jobs`).map((entry) => {
      const [job, spec] =
        typeof entry === 'string' ? [entry, {}] : (Object.entries(obj(entry, 'job'))[0] as [string, unknown]);
      const s = isObj(spec) ? spec : {};
      return { workflow, job, name: typeof s.name === 'string' ? s.name : job, spec: s };
    }),
);
const invocationsOf = (job: string) => invocations.filter((i) => i.job === job);
const branchFilter = (i: Invocation) => {
  const branches = isObj(i.spec.filters) && isObj(i.spec.filters.branches) ? i.spec.filters.branches : {};
  return { only: strings(branches.only), ignore: strings(branches.ignore) };
};
const runsOnlyOnMain = (i: Invocation) => {
  const f = branchFilter(i);
  return f.only.length === 1 && f.only[0] === 'main';
};
/** Every job name upstream of an invocation in its workflow. */
function upstream(i: Invocation): Invocation[] {
  const seen = new Map<string, Invocation>();
  const visit = (inv: Invocation) => {
    for (const req of list(inv.spec.requires ?? [], 'requires')) {
      const name = typeof req === 'string' ? req : Object.keys(obj(req, 'requires entry'))[0];
      const dep = invocations.find((x) => x.workflow === inv.workflow && x.name === name);
      if (!dep) throw new Error(`${inv.name} requires ${name}, which is not in workflow ${inv.workflow}`);
      if (!seen.has(dep.name)) {
        seen.set(dep.name, dep);
        visit(dep);
      }
    }
  };
  visit(i);
  return [...seen.values()];
}

const TERRAFORM_CALL =
  /(^|[\s;&|(])terraform\s+(-chdir=\S+\s+)?(init|plan|apply|fmt|validate|show|version|import|state|destroy)\b/m;
const scriptOf = (s: Step) => s.script ?? '';
const indexWhere = (steps: Step[], test: (s: Step) => boolean, what: string): number => {
  const i = steps.findIndex(test);
  if (i < 0) throw new Error(`no step: ${what}`);
  return i;
};
const runIndex = (steps: Step[], re: RegExp) => indexWhere(steps, (s) => re.test(scriptOf(s)), String(re));

const executorEnv = (job: string): Obj => {
  const executor = str(obj(circleJobs[job], job).executor, `jobs.${job}.executor`);
  return obj(obj(circleExecutors[executor], executor).environment, `executors.${executor}.environment`);
};
const ciEnv = obj(obj(circleExecutors.ci, 'executors.ci').environment, 'environment');
const PLAN_DIR = str(ciEnv.PLAN_DIR, 'PLAN_DIR');
const TERRAFORM_VERSION = String(ciEnv.TERRAFORM_VERSION);
const NODE_VERSION = String(ciEnv.NODE_VERSION);

describe('.circleci/config.yml', () => {
  it("is valid against CircleCI's published config schema", () => {
    const validate = compileSchema('circleci-config.schema.json');
    expect(validate(circle), formatErrors(validate.errors)).toBe(true);
    // And the schema does reject a mistake (an unknown key under a branch filter; requires not a list).
    const broken = structuredClone(circle) as Obj;
    const terraform = obj(obj(broken.workflows, 'workflows').terraform, 'terraform');
    obj(list(terraform.jobs, 'jobs')[1], 'job')['terraform-apply'] = {
      requires: 'terraform-plan',
      filters: { branches: { only: 'main', typo: true } },
    };
    expect(validate(broken)).toBe(false);
  });

  describe('deploy-serverless', () => {
    const steps = jobSteps('deploy-serverless');

    it('runs npm ci, npm test, sam build and sam deploy (samconfig.toml, no prompts), in that order', () => {
      const order = [/^npm ci$/m, /^npm test$/m, /sam build/, /sam deploy/].map((re) => runIndex(steps, re));
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      const deploy = scriptOf(steps[runIndex(steps, /sam deploy/)] as Step);
      expect(deploy).toContain('--no-confirm-changeset');
      expect(deploy).not.toMatch(/--guided|--template|--parameter-overrides/);
      expect(deploy).toMatch(/--config-env/);
    });

    it('has AWS credentials (OIDC role or the original AWS_* keys) only after the tests', () => {
      const creds = indexWhere(steps, (s) => s.via === 'aws-credentials', 'aws-credentials');
      expect(creds).toBeGreaterThan(runIndex(steps, /^npm test$/m));
      expect(creds).toBeLessThan(runIndex(steps, /sam deploy/));
      const script = scriptOf(steps[creds] as Step);
      for (const name of [
        'CIRCLE_OIDC_TOKEN_V2',
        'AWS_ROLE_ARN',
        'AWS_WEB_IDENTITY_TOKEN_FILE',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_DEFAULT_REGION',
      ]) {
        expect(script).toContain(name);
      }
    });

    it('is deployed from main only, with a context (which the OIDC token needs)', () => {
      const uses = invocationsOf('deploy-serverless');
      expect(uses.length).toBeGreaterThan(0);
      for (const i of uses) {
        expect(runsOnlyOnMain(i), `${i.workflow}/${i.name}`).toBe(true);
        expect(strings(i.spec.context).length).toBeGreaterThan(0);
      }
    });
  });

  it('tests every other branch with npm ci and npm test', () => {
    const steps = jobSteps('test');
    expect(runIndex(steps, /^npm ci$/m)).toBeLessThan(runIndex(steps, /^npm test$/m));
    for (const i of invocationsOf('test')) expect(branchFilter(i).ignore).toContain('main');
  });

  describe('terraform', () => {
    const plan = jobSteps('terraform-plan');
    const applies = Object.keys(circleJobs).filter((job) =>
      jobSteps(job).some((s) => /terraform\s+apply/.test(scriptOf(s))),
    );

    it('plans on every branch: fmt -check -recursive, init, validate, plan -out, in that order', () => {
      const order = [
        /terraform fmt -check -recursive/,
        /terraform init /,
        /terraform validate/,
        /terraform plan .*-out="\$\{PLAN_DIR\}\/tfplan"/,
        /terraform show -no-color "\$\{PLAN_DIR\}\/tfplan"/,
      ].map((re) => runIndex(plan, re));
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      const uses = invocationsOf('terraform-plan');
      expect(uses.length).toBeGreaterThan(0);
      for (const i of uses) {
        expect(branchFilter(i).only, 'the plan runs on every branch').toEqual([]);
        expect(branchFilter(i).ignore).not.toContain('main');
      }
    });

    it('keeps the plan text and summary as artifacts and the saved plan in the workspace', () => {
      const artifacts = plan
        .filter((s) => s.kind === 'store_artifacts')
        .map((s) => obj(s.value, 'artifact').path);
      expect(artifacts).toEqual(expect.arrayContaining([`${PLAN_DIR}/plan.txt`, `${PLAN_DIR}/summary.txt`]));
      const persist = obj((plan.find((s) => s.kind === 'persist_to_workspace') as Step).value, 'persist');
      expect(persist.root).toBe(PLAN_DIR);
      expect(strings(persist.paths)).toEqual(
        expect.arrayContaining(['tfplan', 'report.json', 'commit', 'workflow']),
      );
      // The JSON rendering holds sensitive values: it is never kept.
      expect(artifacts.some((p) => String(p).includes('plan.json'))).toBe(false);
      expect(strings(persist.paths)).not.toContain('plan.json');
    });

    it('applies only on main, only the saved plan of the same workflow', () => {
      expect(applies).toEqual(['terraform-apply']);
      for (const gate of ['auto', 'prod']) {
        const steps = jobSteps('terraform-apply', { gate });
        const attach = indexWhere(steps, (s) => s.kind === 'attach_workspace', 'attach_workspace');
        expect(obj(steps[attach]?.value, 'attach').at).toBe(PLAN_DIR);
        const gateStep = runIndex(steps, /CIRCLE_WORKFLOW_ID/);
        const apply = runIndex(steps, /terraform\s+apply/);
        expect(attach).toBeLessThan(gateStep);
        expect(gateStep).toBeLessThan(apply);
        const applyScript = scriptOf(steps[apply] as Step);
        expect(applyScript).toMatch(/terraform apply .*"\$\{PLAN_DIR\}\/tfplan"\s*$/m);
        expect(applyScript).not.toContain('-auto-approve');
        expect(scriptOf(steps[gateStep] as Step)).toContain('CIRCLE_SHA1');
      }
      const uses = invocationsOf('terraform-apply');
      expect(uses.map((i) => i.spec.gate).sort()).toEqual(['auto', 'prod']);
      for (const i of uses) {
        expect(runsOnlyOnMain(i), i.name).toBe(true);
        expect(
          upstream(i).map((u) => u.job),
          `${i.name} comes after the plan of its workflow`,
        ).toContain('terraform-plan');
        expect(strings(i.spec.context).length).toBeGreaterThan(0);
      }
    });

    it('applies a plan that touches prod only after an approval job', () => {
      const prod = invocationsOf('terraform-apply').find((i) => i.spec.gate === 'prod') as Invocation;
      const approvals = upstream(prod).filter((u) => u.spec.type === 'approval');
      expect(approvals.length).toBe(1);
      expect(runsOnlyOnMain(approvals[0] as Invocation)).toBe(true);
      expect(upstream(approvals[0] as Invocation).map((u) => u.job)).toContain('terraform-plan');
      // The automatic path does not wait for approval (it halts on prod plans instead: see the gate below).
      const auto = invocationsOf('terraform-apply').find((i) => i.spec.gate === 'auto') as Invocation;
      expect(upstream(auto).some((u) => u.spec.type === 'approval')).toBe(false);
      // The prod path's context (restricted to the approvers) differs from the automatic path's.
      expect(strings(prod.spec.context)).not.toEqual(strings(auto.spec.context));
    });

    it('pins Terraform, checksum verified, and every job installs it before any terraform call', () => {
      expect(TERRAFORM_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
      expect(String(ciEnv.TERRAFORM_SHA256)).toMatch(/^[0-9a-f]{64}$/);
      const install = expandSteps(['install-terraform'], {});
      const script = install.map(scriptOf).join('\n');
      expect(script).toMatch(/releases\.hashicorp\.com\/terraform\/\$\{TERRAFORM_VERSION\}\//);
      expect(script).toMatch(/\$\{TERRAFORM_SHA256\}.*\| sha256sum -c -/);
      expect(script).toMatch(/terraform_version == \$v/);
      expect(circleText).not.toMatch(/hashicorp\/terraform|setup_remote_docker/);

      let jobsCallingTerraform = 0;
      for (const job of Object.keys(circleJobs)) {
        const params = isObj(obj(circleJobs[job], job).parameters) ? ['auto', 'prod'] : [undefined];
        for (const gate of params) {
          const steps = jobSteps(job, gate ? { gate } : {});
          const calls = steps.flatMap((s, i) =>
            s.via !== 'install-terraform' && TERRAFORM_CALL.test(scriptOf(s)) ? [i] : [],
          );
          if (calls.length === 0) continue;
          jobsCallingTerraform++;
          const installAt = steps.findIndex((s) => s.via === 'install-terraform');
          expect(installAt, `${job} installs the pinned Terraform`).toBeGreaterThanOrEqual(0);
          expect(installAt, `${job} installs it before calling terraform`).toBeLessThan(Math.min(...calls));
          expect(executorEnv(job).TERRAFORM_VERSION).toBe(ciEnv.TERRAFORM_VERSION);
        }
      }
      expect(jobsCallingTerraform).toBeGreaterThanOrEqual(2);
    });

    it("pins a Terraform version that satisfies terraform/live's required_version", () => {
      const required = /required_version\s*=\s*">=\s*(\d+)\.(\d+)(?:\.(\d+))?"/.exec(
        read('terraform/live/providers.tf'),
      );
      expect(required, 'required_version ">= x.y" in terraform/live/providers.tf').not.toBeNull();
      const [maj, min, pat] = TERRAFORM_VERSION.split('.').map(Number) as [number, number, number];
      const want = [Number(required?.[1]), Number(required?.[2]), Number(required?.[3] ?? 0)] as const;
      const cmp = maj - want[0] || min - want[1] || pat - want[2];
      expect(cmp).toBeGreaterThanOrEqual(0);
    });
  });

  it('pins Node.js (checksum verified, within package.json engines) and installs it before npm', () => {
    expect(NODE_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(String(ciEnv.NODE_SHA256)).toMatch(/^[0-9a-f]{64}$/);
    const engines = /^>=\s*(\d+)\.(\d+)/.exec(
      str(obj((JSON.parse(read('package.json')) as Obj).engines, 'engines').node, 'engines.node'),
    );
    const [maj, min] = NODE_VERSION.split('.').map(Number) as [number, number];
    expect(maj * 1000 + min).toBeGreaterThanOrEqual(Number(engines?.[1]) * 1000 + Number(engines?.[2]));
    expect(expandSteps(['install-node'], {}).map(scriptOf).join('\n')).toMatch(
      /\$\{NODE_SHA256\}.*\| sha256sum -c -/,
    );
    for (const job of ['test', 'deploy-serverless']) {
      const steps = jobSteps(job);
      expect(steps.findIndex((s) => s.via === 'install-node')).toBeLessThan(runIndex(steps, /^npm ci$/m));
    }
  });

  it('pins every Docker image to an exact version', () => {
    for (const [name, executor] of Object.entries(circleExecutors)) {
      for (const image of list(obj(executor, name).docker, `${name}.docker`)) {
        expect(str(obj(image, 'image').image, 'image')).toMatch(/^[\w./-]+:\d+(\.\d+)+$/);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------- GitHub

const WORKFLOW_DIR = '.github/workflows';
/** A GitHub Actions expression as written in a workflow: ghExpr('env.X') is the text `${{ env.X }}`. */
const ghExpr = (expression: string): string => `$\{{ ${expression} }}`;
const workflowFiles = readdirSync(resolve(root, WORKFLOW_DIR))
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const workflowText = Object.fromEntries(workflowFiles.map((f) => [f, read(`${WORKFLOW_DIR}/${f}`)]));
const workflows = Object.fromEntries(workflowFiles.map((f) => [f, obj(parse(workflowText[f] as string), f)]));
const wf = (file: string): Obj => obj(workflows[file], file);
const ghJobs = (file: string): Record<string, Obj> =>
  Object.fromEntries(Object.entries(obj(wf(file).jobs, `${file} jobs`)).map(([k, v]) => [k, obj(v, k)]));
const ghSteps = (job: Obj): Obj[] => list(job.steps, 'steps').map((s) => obj(s, 'step'));
const ghRunIndex = (steps: Obj[], re: RegExp): number => {
  const i = steps.findIndex((s) => typeof s.run === 'string' && re.test(s.run));
  if (i < 0) throw new Error(`no run step matching ${re}`);
  return i;
};
const usesIndex = (steps: Obj[], action: string): number =>
  steps.findIndex((s) => typeof s.uses === 'string' && s.uses.startsWith(`${action}@`));
const ghOn = (file: string): Obj => {
  // The yaml package reads the key `on` as the string "on" (YAML 1.2), not as true.
  const on = wf(file).on;
  return typeof on === 'string'
    ? { [on]: null }
    : Array.isArray(on)
      ? Object.fromEntries(on.map((e) => [e, null]))
      : obj(on, 'on');
};

describe('.github/workflows', () => {
  it('has the test, terraform and deploy-serverless workflows', () => {
    expect(workflowFiles).toEqual(['deploy-serverless.yml', 'terraform.yml', 'test.yml']);
  });

  it("is valid against SchemaStore's github-workflow schema", () => {
    const validate = compileSchema('github-workflow.schema.json');
    for (const file of workflowFiles) {
      expect(validate(wf(file)), `${file}:\n${formatErrors(validate.errors)}`).toBe(true);
    }
    const broken = structuredClone(wf('test.yml'));
    obj(obj(broken.jobs, 'jobs').test, 'test')['runs-on'] = undefined;
    broken.permissions = { contents: 'maybe' };
    expect(validate(JSON.parse(JSON.stringify(broken)))).toBe(false);
  });

  it('pins every action by full commit SHA with its version beside it, the same SHA everywhere', () => {
    const shaOf = new Map<string, string>();
    for (const file of workflowFiles) {
      const lines = (workflowText[file] as string).split('\n').filter((l) => /^\s*(-\s*)?uses:/.test(l));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        const m = /uses:\s*([\w.-]+\/[\w.-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$/.exec(line);
        expect(m, `${file}: ${line.trim()}`).not.toBeNull();
        const [, action, sha] = m as RegExpExecArray;
        expect(shaOf.get(action as string) ?? sha, `${action}: one SHA in every workflow`).toBe(sha);
        shaOf.set(action as string, sha as string);
      }
    }
  });

  it('grants contents: read by default and id-token: write only to jobs that assume an AWS role', () => {
    for (const file of workflowFiles) {
      expect(wf(file).permissions, file).toEqual({ contents: 'read' });
      for (const [name, job] of Object.entries(ghJobs(file))) {
        const assumesRole = usesIndex(ghSteps(job), 'aws-actions/configure-aws-credentials') >= 0;
        const permissions = isObj(job.permissions) ? job.permissions : {};
        expect(permissions['id-token'] === 'write', `${file} ${name}`).toBe(assumesRole);
        expect(Object.values(permissions).filter((p) => p === 'write').length).toBeLessThanOrEqual(1);
      }
    }
  });

  it('test.yml: npm ci and npm test on pull requests and pushes', () => {
    expect(Object.keys(ghOn('test.yml'))).toEqual(expect.arrayContaining(['pull_request', 'push']));
    const steps = ghSteps(ghJobs('test.yml').test as Obj);
    expect(ghRunIndex(steps, /^npm ci$/)).toBeLessThan(ghRunIndex(steps, /^npm test$/));
  });

  describe('deploy-serverless.yml', () => {
    const job = ghJobs('deploy-serverless.yml')['deploy-serverless'] as Obj;
    const steps = ghSteps(job);

    it('runs on main only', () => {
      const on = ghOn('deploy-serverless.yml');
      expect(Object.keys(on).sort()).toEqual(['push', 'workflow_dispatch']);
      expect(obj(on.push, 'push').branches).toEqual(['main']);
      expect(job.if).toBe("github.ref == 'refs/heads/main'");
    });

    it('runs npm ci, npm test, AWS OIDC credentials, sam build, sam deploy (no prompts), in that order', () => {
      const order = [
        ghRunIndex(steps, /^npm ci$/),
        ghRunIndex(steps, /^npm test$/),
        usesIndex(steps, 'aws-actions/configure-aws-credentials'),
        ghRunIndex(steps, /sam build/),
        ghRunIndex(steps, /sam deploy/),
      ];
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      const creds = obj(steps[order[2] as number]?.with, 'with');
      expect(creds['role-to-assume']).toMatch(/^\$\{\{ vars\.\w+ \}\}$/);
      expect(Object.keys(creds).filter((k) => /access-key|secret/.test(k))).toEqual([]);
      const deploy = str(steps[order[4] as number]?.run, 'run');
      expect(deploy).toContain('--no-confirm-changeset');
      expect(deploy).not.toMatch(/--guided/);
    });
  });

  describe('terraform.yml', () => {
    const jobs = ghJobs('terraform.yml');
    const plan = ghSteps(jobs.plan as Obj);
    const apply = jobs.apply as Obj;
    const applySteps = ghSteps(apply);

    it('plans pull requests: fmt -check -recursive, init, validate, plan -out; artifact and job summary', () => {
      expect(Object.keys(ghOn('terraform.yml'))).toEqual(expect.arrayContaining(['pull_request', 'push']));
      expect(jobs.plan?.if).toBeUndefined();
      const order = [
        ghRunIndex(plan, /terraform fmt -check -recursive/),
        ghRunIndex(plan, /terraform init /),
        ghRunIndex(plan, /terraform validate/),
        ghRunIndex(plan, /terraform plan .*-out="\$\{PLAN_DIR\}\/tfplan"/),
        ghRunIndex(plan, /terraform show -no-color/),
        ghRunIndex(plan, /GITHUB_STEP_SUMMARY/),
        usesIndex(plan, 'actions/upload-artifact'),
      ];
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      const upload = obj(plan[order[6] as number]?.with, 'with');
      expect(String(upload.path)).toContain('/tfplan');
      expect(String(upload.path)).toContain('/plan.txt');
      expect(String(upload.path)).not.toContain('plan.json');
    });

    it('applies on a push to main only, after the plan, the saved plan of this run', () => {
      expect(apply.needs).toBe('plan');
      expect(String(apply.if)).toContain("github.event_name == 'push'");
      expect(String(apply.if)).toContain("github.ref == 'refs/heads/main'");
      const download = usesIndex(applySteps, 'actions/download-artifact');
      const withs = obj(applySteps[download]?.with, 'with');
      expect(withs.name).toBe('terraform-plan');
      expect(withs['run-id'], 'the artifact of this run, not another').toBeUndefined();
      const check = ghRunIndex(applySteps, /GITHUB_RUN_ID/);
      const applyAt = ghRunIndex(applySteps, /terraform apply/);
      expect(download).toBeLessThan(check);
      expect(check).toBeLessThan(applyAt);
      const applyRun = str(applySteps[applyAt]?.run, 'run');
      expect(applyRun).toMatch(/terraform apply .*"\$\{PLAN_DIR\}\/tfplan"\s*$/);
      expect(applyRun).not.toContain('-auto-approve');
    });

    it('applies a plan that touches prod in the prod environment (its required reviewers approve)', () => {
      expect(apply.environment).toBe(
        ghExpr("needs.plan.outputs.touches_prod == 'false' && 'terraform' || 'prod'"),
      );
      expect(obj(jobs.plan?.outputs, 'outputs').touches_prod).toBe(
        ghExpr('steps.report.outputs.touches_prod'),
      );
    });
  });

  it('pins Terraform (the version CircleCI pins) in every job that calls terraform', () => {
    const tf = wf('terraform.yml');
    expect(String(obj(tf.env, 'env').TERRAFORM_VERSION)).toBe(TERRAFORM_VERSION);
    let jobsCallingTerraform = 0;
    for (const file of workflowFiles) {
      for (const [name, job] of Object.entries(ghJobs(file))) {
        const steps = ghSteps(job);
        const calls = steps.flatMap((s, i) =>
          typeof s.run === 'string' && TERRAFORM_CALL.test(s.run) ? [i] : [],
        );
        if (calls.length === 0) continue;
        jobsCallingTerraform++;
        const setup = usesIndex(steps, 'hashicorp/setup-terraform');
        expect(setup, `${file} ${name} sets up the pinned Terraform`).toBeGreaterThanOrEqual(0);
        expect(setup).toBeLessThan(Math.min(...calls));
        const withs = obj(steps[setup]?.with, 'with');
        expect(withs.terraform_version).toBe(ghExpr('env.TERRAFORM_VERSION'));
        expect(withs.terraform_wrapper).toBe(false);
      }
    }
    expect(jobsCallingTerraform).toBe(2);
  });

  it('uses the Node.js version CircleCI pins', () => {
    for (const file of ['test.yml', 'deploy-serverless.yml']) {
      expect(String(obj(wf(file).env, 'env').NODE_VERSION)).toBe(NODE_VERSION);
    }
  });
});

// ---------------------------------------------------------------------------------------------- both

const allFiles: Record<string, string> = {
  '.circleci/config.yml': circleText,
  ...Object.fromEntries(workflowFiles.map((f) => [`${WORKFLOW_DIR}/${f}`, workflowText[f] as string])),
};

describe('both pipelines', () => {
  it('hold no secrets: no keys, tokens or account-specific ARNs; credentials come from contexts/OIDC', () => {
    const patterns: [string, RegExp][] = [
      ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
      ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
      ['GitHub token', /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,})/],
      ['account-specific ARN', /arn:aws[\w-]*:[\w-]+:[\w-]*:\d{12}:/],
      ['literal secret', /(secret|password|token)\w*\s*[:=]\s*['"]?[A-Za-z0-9/+=]{16,}/i],
    ];
    for (const [file, text] of Object.entries(allFiles)) {
      for (const [what, re] of patterns) expect(re.test(text), `${file}: ${what}`).toBe(false);
    }
    // No environment map sets a credential-like variable: those come from contexts (CircleCI) or OIDC.
    const credentialKeys: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
      } else if (isObj(v)) {
        for (const [k, x] of Object.entries(v)) {
          if ((k === 'environment' || k === 'env') && isObj(x)) {
            for (const name of Object.keys(x)) {
              if (/SECRET|TOKEN|PASSWORD|ACCESS_KEY|SESSION/i.test(name))
                credentialKeys.push(`${path}.${k}.${name}`);
            }
          }
          walk(x, `${path}.${k}`);
        }
      }
    };
    walk(circle, 'circleci');
    for (const file of workflowFiles) walk(wf(file), file);
    expect(credentialKeys).toEqual([]);
    // GitHub workflows read no repository secrets at all: AWS access is OIDC only.
    for (const file of workflowFiles) expect(workflowText[file], file).not.toMatch(/\bsecrets\./);
  });

  describe('the plan report (jq), run on synthetic `terraform show -json` plans', () => {
    const JQ = /jq --arg prod "\$\{PROD_ENVIRONMENTS:-prod\}" '([^']*)'/;
    const fromCircle = JQ.exec(expandSteps(['summarise-plan'], {}).map(scriptOf).join('\n'))?.[1];
    const fromGitHub = JQ.exec(
      ghSteps(ghJobs('terraform.yml').plan as Obj)
        .map((s) => (typeof s.run === 'string' ? s.run : ''))
        .join('\n'),
    )?.[1];
    const hasJq = spawnSync('jq', ['--version']).status === 0;

    it('is the same program in both pipelines', () => {
      expect(fromCircle).toBeTruthy();
      expect(fromGitHub).toBe(fromCircle);
    });

    const moduleCall = (env: string, tags = true) => ({
      source: '../modules/rds',
      expressions: {
        vpc_id: { references: [`var.networks["${env}"].vpc_id`, `var.networks["${env}"]`, 'var.networks'] },
        ...(tags ? { tags: { constant_value: { environment: env, owner: 'team-a' } } } : {}),
      },
    });
    const change = (address: string, actions: string[], before: Obj | null, after: Obj | null) => ({
      address,
      module_address: address.split('.').slice(0, 2).join('.'),
      change: { actions, before, after },
    });
    const tagged = (env: string) => ({ tags: { environment: env } });
    const planOf = (calls: Obj, changes: unknown[], outputs: Obj = {}) => ({
      format_version: '1.2',
      configuration: { root_module: { module_calls: calls } },
      resource_changes: changes,
      output_changes: outputs,
    });
    const report = (plan: unknown, prod = 'prod'): Obj =>
      JSON.parse(
        execFileSync('jq', ['--arg', 'prod', prod, fromCircle as string], {
          input: JSON.stringify(plan),
        }).toString(),
      );

    it.skipIf(!hasJq)('counts adds, changes and destroys, replacements as both', () => {
      const r = report(
        planOf({ 'app-db': moduleCall('dev') }, [
          change('module.app-db.aws_rds_cluster.this[0]', ['create'], null, tagged('dev')),
          change('module.app-db.aws_kms_key.this', ['update'], tagged('dev'), tagged('dev')),
          change(
            'module.app-db.aws_db_parameter_group.this',
            ['delete', 'create'],
            tagged('dev'),
            tagged('dev'),
          ),
          change('module.app-db.aws_iam_role.monitoring', ['no-op'], tagged('dev'), tagged('dev')),
        ]),
      );
      expect(r).toMatchObject({ add: 2, change: 1, destroy: 1, has_changes: true, touches_prod: false });
      expect(r.summary).toBe('Plan: 2 to add, 1 to change, 1 to destroy.');
    });

    it.skipIf(!hasJq)('a new dev database beside an untouched prod one does not touch prod', () => {
      const r = report(
        planOf({ 'app-db': moduleCall('dev'), orders: moduleCall('prod') }, [
          change('module.app-db.aws_rds_cluster.this[0]', ['create'], null, tagged('dev')),
          change('module.orders.aws_rds_cluster.this[0]', ['no-op'], tagged('prod'), tagged('prod')),
        ]),
      );
      expect(r).toMatchObject({ touches_prod: false, prod_modules: ['module.orders'], prod_changes: [] });
    });

    it.skipIf(!hasJq)('a prod database, even an untagged resource of its module, touches prod', () => {
      const r = report(
        planOf({ orders: moduleCall('prod') }, [
          change('module.orders.aws_iam_role_policy_attachment.monitoring[0]', ['create'], null, {}),
        ]),
      );
      expect(r).toMatchObject({ touches_prod: true, prod_modules_changed: ['module.orders'] });
      // Found through var.networks["prod"] alone when the module call's tags are not a constant.
      const byNetwork = report(
        planOf({ orders: moduleCall('prod', false) }, [
          change('module.orders.aws_db_subnet_group.this', ['update'], {}, {}),
        ]),
      );
      expect(byNetwork.touches_prod).toBe(true);
    });

    it.skipIf(!hasJq)('removing a prod database (its file deleted) touches prod', () => {
      const r = report(
        planOf({}, [change('module.orders.aws_rds_cluster.this[0]', ['delete'], tagged('prod'), null)]),
      );
      expect(r).toMatchObject({
        touches_prod: true,
        destroy: 1,
        prod_changes: ['module.orders.aws_rds_cluster.this[0]'],
      });
    });

    it.skipIf(!hasJq)('no changes, output-only changes, and more than one prod environment', () => {
      const none = report(
        planOf({ orders: moduleCall('prod') }, [
          change('module.orders.aws_rds_cluster.this[0]', ['no-op'], tagged('prod'), tagged('prod')),
          change('module.orders.data.aws_subnet.selected', ['read'], null, {}),
        ]),
      );
      expect(none).toMatchObject({ has_changes: false, touches_prod: false });
      const outputs = report(planOf({}, [], { endpoint: { actions: ['create'] } }));
      expect(outputs).toMatchObject({ has_changes: true, add: 0, touches_prod: false });
      const production = planOf({ billing: moduleCall('production') }, [
        change('module.billing.aws_rds_cluster.this[0]', ['create'], null, tagged('production')),
      ]);
      expect(report(production).touches_prod).toBe(false);
      expect(report(production, 'prod production').touches_prod).toBe(true);
    });
  });

  describe('the CircleCI apply gate, run with bash on a saved report', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'pipeline-gate-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    const bin = join(tmp, 'bin');
    mkdirSync(bin);
    // circleci-agent step halt: ends the job after this step, successfully. Recorded here.
    writeFileSync(join(bin, 'circleci-agent'), '#!/bin/sh\necho "$*" >> "$HALT_LOG"\n');
    chmodSync(join(bin, 'circleci-agent'), 0o755);

    const gateScript = (gate: string) =>
      scriptOf(
        jobSteps('terraform-apply', { gate }).find((s) => /CIRCLE_WORKFLOW_ID/.test(scriptOf(s))) as Step,
      );

    let n = 0;
    function runGate(
      gate: string,
      report: Obj,
      commit = 'abc123',
    ): { status: number | null; applies: boolean } {
      const dir = join(tmp, String(n++));
      mkdirSync(dir);
      writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
      writeFileSync(join(dir, 'summary.txt'), 'Plan: ...\n');
      writeFileSync(join(dir, 'commit'), `${commit}\n`);
      writeFileSync(join(dir, 'workflow'), 'wf-1\n');
      const halt = join(dir, 'halt.log');
      const result = spawnSync('bash', ['-eo', 'pipefail', '-c', gateScript(gate)], {
        env: {
          PATH: `${bin}:${process.env.PATH ?? ''}`,
          PLAN_DIR: dir,
          CIRCLE_SHA1: 'abc123',
          CIRCLE_WORKFLOW_ID: 'wf-1',
          HALT_LOG: halt,
        },
        encoding: 'utf8',
      });
      let halted = false;
      try {
        halted = readFileSync(halt, 'utf8').includes('step halt');
      } catch {}
      return { status: result.status, applies: result.status === 0 && !halted };
    }

    it.skipIf(spawnSync('jq', ['--version']).status !== 0)(
      'exactly one path applies a plan with changes; prod plans only after approval',
      () => {
        const cases: [Obj, { auto: boolean; prod: boolean }][] = [
          [
            { has_changes: false, touches_prod: false },
            { auto: false, prod: false },
          ],
          [
            { has_changes: true, touches_prod: false },
            { auto: true, prod: false },
          ],
          [
            { has_changes: true, touches_prod: true },
            { auto: false, prod: true },
          ],
          // A report that does not say "false" is treated as prod.
          [{ has_changes: true }, { auto: false, prod: true }],
        ];
        for (const [report, want] of cases) {
          const auto = runGate('auto', report);
          const prod = runGate('prod', report);
          expect(auto.status, JSON.stringify(report)).toBe(0);
          expect(prod.status, JSON.stringify(report)).toBe(0);
          expect({ auto: auto.applies, prod: prod.applies }, JSON.stringify(report)).toEqual(want);
        }
      },
    );

    it('refuses a plan of another commit', () => {
      expect(runGate('auto', { has_changes: true, touches_prod: false }, 'other').status).not.toBe(0);
    });
  });
});
