/**
 * The CI/CD pipelines: .circleci/config.yml and .github/workflows/*.yml (docs/pipelines.md).
 *
 * Each file is validated against its platform's published JSON schema, vendored in test/fixtures/ci-schemas/
 * by scripts/update-ci-schemas.mjs (CircleCI's own config schema and SchemaStore's github-workflow.json, as
 * the PyPI package check-jsonschema 0.39.0 ships them; SOURCES.json records where each came from). Then the
 * behaviour that matters is asserted: deploy only from main; Terraform root by root: a detect job lists the
 * changed roots (scripts/ci-changed-roots.sh) and drives the plan matrix or loop, plans and applies go
 * through scripts/ci-plan-roots.sh and scripts/ci-apply-roots.sh (run for real in pipeline-roots.test.ts),
 * applies only on main after the plans of the same run, prod roots only after approval; Terraform and
 * Node.js pinned, actions pinned by commit, no secrets. The plan report (scripts/ci-plan-report.jq) is run
 * for real on synthetic plans.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TERRAFORM_REQUIRED_VERSION } from '../../src/render/terraform.js';

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
/** A script that runs terraform itself or through the plan, apply and drift scripts (scripts/ci-*-roots.sh). */
const callsTerraform = (script: string) =>
  TERRAFORM_CALL.test(script) || /scripts\/ci-(plan|apply|drift)-roots\.sh "/.test(script);
const PIPELINE_TOKEN = 'RDS_PROVISIONER_PIPELINE_TOKEN';
/** The pipeline's API key, for a stack with AuthMode=api_key: a secret of the reporting steps too. */
const PIPELINE_API_KEY = 'RDS_PROVISIONER_PIPELINE_API_KEY';
/** How the reports authenticate (token, iam, api-key): a variable of the reporting steps. */
const REPORT_AUTH = 'RDS_PROVISIONER_AUTH';
/** A step that reports to rds-provisioner: the plan, apply and drift scripts call `rds-provisioner report`. */
const reports = (run: unknown) =>
  typeof run === 'string' && /scripts\/ci-(plan|apply|drift)-roots\.sh "/.test(run);
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
    const detect = jobSteps('terraform-detect');
    const plan = jobSteps('terraform-plan');
    const applyJobs = Object.keys(circleJobs).filter((job) =>
      jobSteps(job).some((s) => /scripts\/ci-apply-roots\.sh/.test(scriptOf(s))),
    );
    const terraformWorkflow = (name: string) =>
      invocations.find((i) => i.workflow === 'terraform' && i.name === name) as Invocation;
    /** The requires entries of an invocation: name and the statuses it accepts (default: success). */
    const requiresOf = (i: Invocation): [string, string[]][] =>
      list(i.spec.requires ?? [], 'requires').map((r) =>
        typeof r === 'string'
          ? [r, ['success']]
          : ((([name, statuses]) => [name, strings(statuses)])(
              Object.entries(obj(r, 'requires entry'))[0] as [string, unknown],
            ) as [string, string[]]),
      );

    it('detects the changed roots first: npm ci --ignore-scripts, tsc, changed-roots from the merge base or the commit before the push', () => {
      const order = [
        indexWhere(detect, (s) => s.kind === 'checkout', 'checkout'),
        indexWhere(detect, (s) => s.via === 'install-node', 'install-node'),
        runIndex(detect, /^npm ci --ignore-scripts$/m),
        runIndex(detect, /^npx tsc -p tsconfig\.json$/m),
        runIndex(detect, /scripts\/ci-changed-roots\.sh /),
        indexWhere(detect, (s) => s.kind === 'persist_to_workspace', 'persist_to_workspace'),
      ];
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      const script = scriptOf(detect[order[4] as number] as Step);
      // On main the commit before the push (CircleCI's previous build); elsewhere the merge base with main.
      expect(script).toContain('<< pipeline.git.base_revision >>');
      expect(script).toContain('origin/main');
      expect(script).toMatch(/scripts\/ci-changed-roots\.sh "\$base" "\$\{CIRCLE_SHA1\}" "\$\{PLAN_DIR\}"/);
      const persist = obj((detect[order[5] as number] as Step).value, 'persist');
      expect(persist.root).toBe(PLAN_DIR);
      expect(strings(persist.paths)).toEqual(expect.arrayContaining(['roots.json', 'changed-roots.json']));
      for (const i of invocationsOf('terraform-detect')) expect(branchFilter(i).only).toEqual([]);
    });

    it('plans only the detected roots, in a loop, each saved with its lock file, commit and run', () => {
      expect(upstream(terraformWorkflow('terraform-plan')).map((u) => u.job)).toEqual(['terraform-detect']);
      const order = [
        indexWhere(plan, (s) => s.kind === 'attach_workspace', 'attach_workspace'),
        indexWhere(plan, (s) => s.via === 'install-terraform', 'install-terraform'),
        runIndex(plan, /scripts\/ci-plan-roots\.sh "\$\{PLAN_DIR\}"/),
        indexWhere(plan, (s) => s.kind === 'persist_to_workspace', 'persist_to_workspace'),
      ];
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(obj(plan[order[0] as number]?.value, 'attach').at).toBe(PLAN_DIR);
      const run = scriptOf(plan[order[2] as number] as Step);
      expect(run).toMatch(/RUN_COMMIT="\$\{CIRCLE_SHA1\}"/);
      expect(run).toMatch(/RUN_ID="\$\{CIRCLE_WORKFLOW_ID\}"/);
      // No terraform plan of its own: every plan is the script's, of the roots the detect job listed.
      expect(plan.some((s) => /terraform\s+plan/.test(scriptOf(s)))).toBe(false);
      const persist = obj(plan[order[3] as number]?.value, 'persist');
      expect(persist.root).toBe(PLAN_DIR);
      expect(strings(persist.paths)).toEqual(expect.arrayContaining(['roots', 'text']));
      // Plan texts and summaries as artifacts; never the saved plans (they may hold sensitive values).
      const artifacts = plan.filter((s) => s.kind === 'store_artifacts').map((s) => obj(s.value, 'a').path);
      expect(artifacts).toEqual(expect.arrayContaining([`${PLAN_DIR}/text`, `${PLAN_DIR}/summary.md`]));
      expect(
        artifacts.some((p) => /\/(roots|tfplan|plan\.json)(\/|$)/.test(String(p).slice(PLAN_DIR.length))),
      ).toBe(false);
    });

    it('checks formatting once, in the detect job', () => {
      expect(runIndex(detect, /terraform fmt -check -recursive -diff terraform/)).toBeGreaterThan(
        indexWhere(detect, (s) => s.via === 'install-terraform', 'install-terraform'),
      );
    });

    it('applies on main only, through the apply script, after the plans of the same workflow', () => {
      expect(applyJobs).toEqual(['terraform-apply']);
      for (const gate of ['nonprod', 'prod']) {
        const steps = jobSteps('terraform-apply', { gate });
        const attach = indexWhere(steps, (s) => s.kind === 'attach_workspace', 'attach_workspace');
        expect(obj(steps[attach]?.value, 'attach').at).toBe(PLAN_DIR);
        const check = runIndex(steps, /scripts\/ci-apply-roots\.sh --check /);
        const apply = runIndex(steps, /scripts\/ci-apply-roots\.sh "/);
        expect(attach).toBeLessThan(check);
        expect(check).toBeLessThan(apply);
        for (const at of [check, apply]) {
          const script = scriptOf(steps[at] as Step);
          expect(script).toContain(`"\${PLAN_DIR}" ${gate}`);
          expect(script).toMatch(/RUN_COMMIT="\$\{CIRCLE_SHA1\}"/);
          expect(script).toMatch(/RUN_ID="\$\{CIRCLE_WORKFLOW_ID\}"/);
        }
        expect(scriptOf(steps[check] as Step)).toContain('circleci-agent step halt');
        expect(steps.some((s) => /terraform\s+apply/.test(scriptOf(s)))).toBe(false);
      }
      const uses = invocationsOf('terraform-apply');
      expect(uses.map((i) => i.spec.gate).sort()).toEqual(['nonprod', 'prod']);
      for (const i of uses) {
        expect(runsOnlyOnMain(i), i.name).toBe(true);
        expect(upstream(i).map((u) => u.job)).toContain('terraform-plan');
        expect(strings(i.spec.context).length).toBeGreaterThan(0);
      }
    });

    it('reports back to rds-provisioner: the plan, apply and drift jobs build the CLI before their scripts; a pull request plan is reported', () => {
      const jobsReporting: [string, Obj, RegExp][] = [
        ['terraform-plan', {}, /scripts\/ci-plan-roots\.sh "/],
        ['terraform-apply', { gate: 'nonprod' }, /scripts\/ci-apply-roots\.sh "/],
        ['terraform-apply', { gate: 'prod' }, /scripts\/ci-apply-roots\.sh "/],
        ['terraform-drift', {}, /scripts\/ci-drift-roots\.sh "/],
      ];
      for (const [job, params, script] of jobsReporting) {
        const steps = jobSteps(job, params);
        const order = [
          indexWhere(steps, (s) => s.via === 'install-node', `${job} install-node`),
          runIndex(steps, /^npm ci --ignore-scripts$/m),
          runIndex(steps, /^npx tsc -p tsconfig\.json$/m),
          runIndex(steps, script),
        ];
        expect(
          [...order].sort((a, b) => a - b),
          job,
        ).toEqual(order);
      }
      // Only a pull request's plans are reported (CircleCI knows the pull request once it is open).
      const planScript = scriptOf(plan[runIndex(plan, /scripts\/ci-plan-roots\.sh "/)] as Step);
      expect(planScript).toMatch(/if \[ -n "\$\{CIRCLE_PULL_REQUEST:-\}" \]; then report=true; fi/);
      expect(planScript).toMatch(/REPORT_PLAN="\$report" RUN_COMMIT=/);
      // The service's URL, the mode and the pipeline's credential come from the jobs' contexts, never
      // from this file.
      expect(circleText).not.toMatch(/RDS_PROVISIONER_(URL|AUTH|PIPELINE_TOKEN|PIPELINE_API_KEY)\s*[:=]/);
    });

    it('a nightly drift check on the scheduled pipeline nightly-drift: every root of main planned with -detailed-exitcode and reported; the other workflows stay off it', () => {
      const workflows = obj(circle.workflows, 'workflows');
      const scheduled = ['scheduled_pipeline', '<< pipeline.trigger_source >>'];
      for (const [name, workflow] of Object.entries(workflows)) {
        const when = obj(obj(workflow, name).when, `${name}.when`);
        if (name === 'terraform-drift')
          expect(when).toEqual({
            and: [{ equal: scheduled }, { equal: ['nightly-drift', '<< pipeline.schedule.name >>'] }],
          });
        else expect(when, name).toEqual({ not: { equal: scheduled } });
      }
      const uses = invocationsOf('terraform-drift');
      expect(uses.map((i) => [i.workflow, strings(i.spec.context)])).toEqual([
        ['terraform-drift', ['rds-provisioner-terraform-plan']],
      ]);
      expect(runsOnlyOnMain(uses[0] as Invocation)).toBe(true);
      const steps = jobSteps('terraform-drift');
      const order = [
        indexWhere(steps, (s) => s.kind === 'checkout', 'checkout'),
        runIndex(steps, /^npx tsc -p tsconfig\.json$/m),
        runIndex(steps, /scripts\/ci-changed-roots\.sh "" "\$\{CIRCLE_SHA1\}" "\$\{PLAN_DIR\}"/),
        indexWhere(steps, (s) => s.via === 'install-terraform', 'install-terraform'),
        indexWhere(steps, (s) => s.via === 'aws-credentials', 'aws-credentials'),
        runIndex(steps, /RUN_COMMIT="\$\{CIRCLE_SHA1\}" bash scripts\/ci-drift-roots\.sh "\$\{PLAN_DIR\}"/),
        indexWhere(steps, (s) => s.kind === 'store_artifacts', 'store_artifacts'),
      ];
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(obj(steps[order[6] as number]?.value, 'artifact').path).toBe(`${PLAN_DIR}/drift.md`);
      expect(steps.some((s) => /terraform\s+(plan|apply)/.test(scriptOf(s)))).toBe(false);
    });

    it('a root whose plan failed does not hold back the others: the apply paths follow the plan job whatever its end', () => {
      for (const name of ['terraform-apply', 'hold-prod-apply']) {
        expect(requiresOf(terraformWorkflow(name))).toEqual([['terraform-plan', ['success', 'failed']]]);
      }
      expect(requiresOf(terraformWorkflow('terraform-apply-prod'))).toEqual([
        ['hold-prod-apply', ['success']],
      ]);
    });

    it('prod roots wait for the approval job; non-prod roots never do', () => {
      const prod = terraformWorkflow('terraform-apply-prod');
      expect(prod.spec.gate).toBe('prod');
      const approvals = upstream(prod).filter((u) => u.spec.type === 'approval');
      expect(approvals.map((a) => a.name)).toEqual(['hold-prod-apply']);
      expect(runsOnlyOnMain(approvals[0] as Invocation)).toBe(true);
      const nonprod = terraformWorkflow('terraform-apply');
      expect(nonprod.spec.gate).toBe('nonprod');
      expect(upstream(nonprod).some((u) => u.spec.type === 'approval')).toBe(false);
      expect(strings(prod.spec.context)).not.toEqual(strings(nonprod.spec.context));
    });

    it('no global serialisation: roots are independent (each state has its own lock)', () => {
      for (const i of invocations.filter((x) => x.workflow === 'terraform')) {
        expect(i.spec['serial-group'], i.name).toBeUndefined();
      }
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
        const params = isObj(obj(circleJobs[job], job).parameters) ? ['nonprod', 'prod'] : [undefined];
        for (const gate of params) {
          const steps = jobSteps(job, gate ? { gate } : {});
          const calls = steps.flatMap((s, i) =>
            s.via !== 'install-terraform' && callsTerraform(scriptOf(s)) ? [i] : [],
          );
          if (calls.length === 0) continue;
          jobsCallingTerraform++;
          const installAt = steps.findIndex((s) => s.via === 'install-terraform');
          expect(installAt, `${job} installs the pinned Terraform`).toBeGreaterThanOrEqual(0);
          expect(installAt, `${job} installs it before calling terraform`).toBeLessThan(Math.min(...calls));
          expect(executorEnv(job).TERRAFORM_VERSION).toBe(ciEnv.TERRAFORM_VERSION);
        }
      }
      expect(jobsCallingTerraform).toBe(5);
    });

    it('pins a Terraform version that satisfies the required_version of both layouts', () => {
      const singleRoot = /required_version\s*=\s*"([^"]+)"/.exec(
        read('terraform/layouts/single-root/providers.tf'),
      );
      for (const required of [singleRoot?.[1], TERRAFORM_REQUIRED_VERSION]) {
        const m = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(String(required));
        expect(m, `required_version ${required}`).not.toBeNull();
        const [maj, min, pat] = TERRAFORM_VERSION.split('.').map(Number) as [number, number, number];
        const want = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3] ?? 0)] as const;
        expect(maj - want[0] || min - want[1] || pat - want[2]).toBeGreaterThanOrEqual(0);
      }
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
    const detect = jobs.detect as Obj;
    const detectSteps = ghSteps(detect);
    const plan = jobs.plan as Obj;
    const planSteps = ghSteps(plan);
    const apply = jobs.apply as Obj;
    const applySteps = ghSteps(apply);
    const drift = jobs.drift as Obj;
    const driftSteps = ghSteps(drift);
    const stepEnv = (s: Obj | undefined): Obj => (isObj(s?.env) ? s.env : {});
    const onMain = ["github.event_name == 'push'", "github.ref == 'refs/heads/main'"];

    it('has a detect, a plan, an apply and a drift job', () => {
      expect(Object.keys(jobs)).toEqual(['detect', 'plan', 'apply', 'drift']);
    });

    it('detects the changed roots: npm ci --ignore-scripts, tsc, changed-roots from the PR base or the commit before the push', () => {
      expect(Object.keys(ghOn('terraform.yml'))).toEqual(expect.arrayContaining(['pull_request', 'push']));
      const checkout = usesIndex(detectSteps, 'actions/checkout');
      expect(
        obj(detectSteps[checkout]?.with, 'with')['fetch-depth'],
        'the merge base needs the history',
      ).toBe(0);
      const order = [
        checkout,
        usesIndex(detectSteps, 'actions/setup-node'),
        ghRunIndex(detectSteps, /^npm ci --ignore-scripts$/),
        ghRunIndex(detectSteps, /^npx tsc -p tsconfig\.json$/),
        ghRunIndex(detectSteps, /scripts\/ci-changed-roots\.sh /),
        usesIndex(detectSteps, 'actions/upload-artifact'),
      ];
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      const step = detectSteps[order[4] as number] as Obj;
      expect(str(step.run, 'run')).toMatch(
        /scripts\/ci-changed-roots\.sh "\$BASE" "\$HEAD" "\$\{PLAN_DIR\}"/,
      );
      expect(str(step.run, 'run')).toMatch(/matrix=.*>> "\$\{?GITHUB_OUTPUT\}?"/);
      expect(stepEnv(step).BASE).toBe(
        ghExpr(
          "github.event_name == 'pull_request' && github.event.pull_request.base.sha || github.event_name == 'push' && github.event.before || ''",
        ),
      );
      expect(stepEnv(step).HEAD).toBe(ghExpr('github.sha'));
      expect(obj(detect.outputs, 'outputs')).toMatchObject({
        matrix: ghExpr(`steps.${String(step.id)}.outputs.matrix`),
        count: ghExpr(`steps.${String(step.id)}.outputs.count`),
      });
      const upload = obj(detectSteps[order[5] as number]?.with, 'with');
      expect(upload.name).toBe('changed-roots');
    });

    it('plans only the detected roots: a matrix of their batches (fail-fast off), each job looping over its batch', () => {
      expect(plan.needs).toBe('detect');
      expect(String(plan.if)).toContain("needs.detect.outputs.count != '0'");
      const strategy = obj(plan.strategy, 'strategy');
      expect(strategy['fail-fast']).toBe(false);
      expect(strategy.matrix).toBe(ghExpr('fromJSON(needs.detect.outputs.matrix)'));
      const order = [
        usesIndex(planSteps, 'actions/checkout'),
        usesIndex(planSteps, 'actions/download-artifact'),
        usesIndex(planSteps, 'hashicorp/setup-terraform'),
        usesIndex(planSteps, 'aws-actions/configure-aws-credentials'),
        ghRunIndex(planSteps, /scripts\/ci-plan-roots\.sh "\$\{PLAN_DIR\}" "\$BATCH"/),
        ghRunIndex(planSteps, /GITHUB_STEP_SUMMARY/),
        usesIndex(planSteps, 'actions/upload-artifact'),
      ];
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(obj(planSteps[order[1] as number]?.with, 'with').name).toBe('changed-roots');
      // Destroying from the base needs the base commit: the whole history when the batch destroys.
      expect(obj(planSteps[order[0] as number]?.with, 'with')['fetch-depth']).toBe(
        ghExpr("matrix.destroy && '0' || '1'"),
      );
      const run = planSteps[order[4] as number] as Obj;
      expect(stepEnv(run)).toMatchObject({ BATCH: ghExpr('matrix.batch') });
      expect(planSteps.some((s) => typeof s.run === 'string' && /terraform\s+plan/.test(s.run))).toBe(false);
      const upload = planSteps[order[6] as number] as Obj;
      expect(upload.if).toBe('always()');
      expect(obj(upload.with, 'with')).toMatchObject({
        name: `plan-${ghExpr('matrix.batch')}`,
        path: `${ghExpr('env.PLAN_DIR')}/roots`,
      });
      expect(String(plan.name)).toContain(ghExpr('matrix.label'));
    });

    it('applies on a push to main only, each batch its own saved plans of this run', () => {
      expect(apply.needs).toEqual(['detect', 'plan']);
      for (const part of [...onMain, '!cancelled()', "needs.detect.result == 'success'"]) {
        expect(String(apply.if)).toContain(part);
      }
      const strategy = obj(apply.strategy, 'strategy');
      expect(strategy['fail-fast']).toBe(false);
      expect(strategy.matrix).toBe(ghExpr('fromJSON(needs.detect.outputs.matrix)'));
      const downloads = applySteps.flatMap((s, i) =>
        typeof s.uses === 'string' && s.uses.startsWith('actions/download-artifact@') ? [i] : [],
      );
      expect(downloads.map((i) => obj(applySteps[i]?.with, 'with').name)).toEqual([
        'changed-roots',
        `plan-${ghExpr('matrix.batch')}`,
      ]);
      for (const i of downloads) {
        expect(obj(applySteps[i]?.with, 'with')['run-id'], 'the artifacts of this run').toBeUndefined();
      }
      const run = ghRunIndex(
        applySteps,
        /scripts\/ci-apply-roots\.sh "\$\{PLAN_DIR\}" "\$APPLY_GATE" "\$BATCH"/,
      );
      expect(run).toBeGreaterThan(Math.max(...downloads));
      expect(run).toBeGreaterThan(usesIndex(applySteps, 'hashicorp/setup-terraform'));
      expect(stepEnv(applySteps[run])).toMatchObject({ BATCH: ghExpr('matrix.batch') });
      expect(applySteps.some((s) => typeof s.run === 'string' && /terraform\s+apply/.test(s.run))).toBe(
        false,
      );
      const env = obj(wf('terraform.yml').env, 'env');
      expect(env.RUN_COMMIT).toBe(ghExpr('github.sha'));
      expect(env.RUN_ID).toBe(ghExpr('github.run_id'));
    });

    it('reports back to rds-provisioner: the CLI built before each reporting step, the URL a variable, the mode (RDS_PROVISIONER_AUTH) a variable and the pipeline token and API key secrets of those steps only', () => {
      expect(obj(wf('terraform.yml').env, 'env').RDS_PROVISIONER_URL).toBe(
        ghExpr('vars.RDS_PROVISIONER_URL'),
      );
      const reporting: [string, Obj[], RegExp][] = [
        ['plan', planSteps, /scripts\/ci-plan-roots\.sh "/],
        ['apply', applySteps, /scripts\/ci-apply-roots\.sh "/],
        ['drift', driftSteps, /scripts\/ci-drift-roots\.sh "/],
      ];
      for (const [job, steps, script] of reporting) {
        const order = [
          usesIndex(steps, 'actions/setup-node'),
          ghRunIndex(steps, /^npm ci --ignore-scripts\nnpx tsc -p tsconfig\.json\n?$/),
          ghRunIndex(steps, script),
        ];
        expect(
          [...order].sort((a, b) => a - b),
          job,
        ).toEqual(order);
        expect(order[0], job).toBeGreaterThanOrEqual(0);
        // The mode (token, iam: the job's AWS credentials sign, api-key) and each mode's credential.
        expect(stepEnv(steps[order[2] as number]), job).toMatchObject({
          [PIPELINE_TOKEN]: ghExpr(`secrets.${PIPELINE_TOKEN}`),
          [PIPELINE_API_KEY]: ghExpr(`secrets.${PIPELINE_API_KEY}`),
          [REPORT_AUTH]: ghExpr(`vars.${REPORT_AUTH}`),
        });
      }
      for (const name of [PIPELINE_TOKEN, PIPELINE_API_KEY, REPORT_AUTH]) {
        const given = Object.values(jobs).flatMap((j) => ghSteps(j).filter((s) => name in stepEnv(s)));
        expect(given, name).toHaveLength(3);
      }
      expect(obj(wf('terraform.yml').env, 'env')).not.toHaveProperty(REPORT_AUTH);
      // Only a pull request's plans are reported: on main the apply reports instead.
      const planRun = planSteps[ghRunIndex(planSteps, /scripts\/ci-plan-roots\.sh "/)];
      expect(stepEnv(planRun).REPORT_PLAN).toBe(ghExpr("github.event_name == 'pull_request'"));
    });

    it('a nightly drift check (schedule, or on demand): every root of main planned with -detailed-exitcode by batch and reported; nothing planned for a pull request or applied', () => {
      const on = ghOn('terraform.yml');
      const schedule = list(on.schedule, 'on.schedule').map((e) => str(obj(e, 'schedule').cron, 'cron'));
      expect(schedule).toHaveLength(1);
      expect(schedule[0]).toMatch(/^\d{1,2} \d{1,2} \* \* \*$/);
      expect(Object.keys(on)).toContain('workflow_dispatch');
      expect(drift.needs).toBe('detect');
      for (const part of [
        "needs.detect.outputs.count != '0'",
        "github.ref == 'refs/heads/main'",
        "github.event_name == 'schedule'",
        "github.event_name == 'workflow_dispatch'",
      ])
        expect(String(drift.if)).toContain(part);
      // The plan job plans pull requests and pushes; the apply job applies pushes to main only.
      expect(String(plan.if)).toContain(
        "(github.event_name == 'pull_request' || github.event_name == 'push')",
      );
      expect(String(apply.if)).toContain("github.event_name == 'push'");
      // On a schedule the detect step has no base: every root.
      const detectRun = detectSteps.find((s) => s.id === 'roots') as Obj;
      expect(String(stepEnv(detectRun).BASE)).not.toContain('schedule');
      const strategy = obj(drift.strategy, 'strategy');
      expect(strategy).toEqual({
        'fail-fast': false,
        matrix: ghExpr('fromJSON(needs.detect.outputs.matrix)'),
      });
      const order = [
        usesIndex(driftSteps, 'actions/checkout'),
        usesIndex(driftSteps, 'actions/download-artifact'),
        usesIndex(driftSteps, 'hashicorp/setup-terraform'),
        usesIndex(driftSteps, 'aws-actions/configure-aws-credentials'),
        ghRunIndex(driftSteps, /scripts\/ci-drift-roots\.sh "\$\{PLAN_DIR\}" "\$BATCH"/),
        ghRunIndex(driftSteps, /drift\.md.*GITHUB_STEP_SUMMARY/),
      ];
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(obj(driftSteps[order[1] as number]?.with, 'with').name).toBe('changed-roots');
      expect(obj(driftSteps[order[3] as number]?.with, 'with')['role-to-assume']).toBe(
        ghExpr('vars.TF_PLAN_ROLE_ARN'),
      );
      expect(stepEnv(driftSteps[order[4] as number])).toMatchObject({ BATCH: ghExpr('matrix.batch') });
      expect(driftSteps[order[5] as number]?.if).toBe('always()');
      expect(
        driftSteps.some((s) => typeof s.run === 'string' && /terraform\s+(plan|apply)/.test(s.run)),
      ).toBe(false);
    });

    it('prod batches (and the single root when its plan touches prod) apply in the prod environment; the others never wait', () => {
      const environment =
        "(matrix.gate == 'nonprod' || (matrix.gate == 'by-plan' && needs.plan.outputs.touches_prod == 'false')) && 'terraform' || 'prod'";
      expect(apply.environment).toBe(ghExpr(environment));
      // The script is told the same gate the environment was chosen by.
      expect(obj(apply.env, 'env').APPLY_GATE).toBe(ghExpr(environment.replace("'terraform'", "'nonprod'")));
      expect(obj(plan.outputs, 'outputs').touches_prod).toBe(ghExpr('steps.plan.outputs.touches_prod'));
    });

    it('no global serialisation on main: a pull request cancels its older plans, applies queue per batch', () => {
      const concurrency = obj(wf('terraform.yml').concurrency, 'concurrency');
      expect(concurrency.group).toBe(
        ghExpr("format('terraform-{0}', github.event_name == 'pull_request' && github.ref || github.run_id)"),
      );
      expect(concurrency['cancel-in-progress']).toBe(ghExpr("github.event_name == 'pull_request'"));
      expect(obj(apply.concurrency, 'concurrency')).toEqual({
        group: ghExpr("format('terraform-apply-{0}', matrix.label)"),
        'cancel-in-progress': false,
      });
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
          typeof s.run === 'string' && callsTerraform(s.run) ? [i] : [],
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
    expect(jobsCallingTerraform).toBe(4);
  });

  it('uses the Node.js version CircleCI pins', () => {
    for (const file of ['test.yml', 'deploy-serverless.yml', 'terraform.yml']) {
      expect(String(obj(wf(file).env, 'env').NODE_VERSION)).toBe(NODE_VERSION);
    }
  });
});

// ---------------------------------------------------------------------------------------------- both

const allFiles: Record<string, string> = {
  '.circleci/config.yml': circleText,
  ...Object.fromEntries(workflowFiles.map((f) => [`${WORKFLOW_DIR}/${f}`, workflowText[f] as string])),
};

const allText = () => Object.values(allFiles).join('\n');

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
    // No environment map sets a credential-like variable: those come from contexts (CircleCI) or OIDC. The
    // exceptions are the service's pipeline token and API key, each taken from a GitHub secret of that name
    // by the steps that report (their scripts call `rds-provisioner report`), never a literal.
    const credentialKeys: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
      } else if (isObj(v)) {
        for (const [k, x] of Object.entries(v)) {
          if ((k === 'environment' || k === 'env') && isObj(x)) {
            for (const [name, value] of Object.entries(x)) {
              const pipelineToken =
                [PIPELINE_TOKEN, PIPELINE_API_KEY].includes(name) &&
                value === ghExpr(`secrets.${name}`) &&
                reports(v.run);
              if (/SECRET|TOKEN|PASSWORD|ACCESS_KEY|SESSION/i.test(name) && !pipelineToken)
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
    // GitHub workflows read no other repository secret: AWS access is OIDC only.
    for (const file of workflowFiles)
      expect(
        workflowText[file]
          ?.replaceAll(`secrets.${PIPELINE_TOKEN}`, '')
          .replaceAll(`secrets.${PIPELINE_API_KEY}`, ''),
        file,
      ).not.toMatch(/\bsecrets\./);
  });

  describe('the plan report (scripts/ci-plan-report.jq), run on synthetic `terraform show -json` plans', () => {
    const REPORT = 'scripts/ci-plan-report.jq';
    const hasJq = spawnSync('jq', ['--version']).status === 0;

    it('is the one program both pipelines run, through scripts/ci-plan-roots.sh', () => {
      expect(read('scripts/ci-plan-roots.sh')).toMatch(
        /jq --arg prod "\$\{PROD_ENVIRONMENTS:-prod\}" -f "\$here\/ci-plan-report\.jq"/,
      );
      expect(allText()).not.toMatch(/terraform show -json/);
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
        execFileSync('jq', ['--arg', 'prod', prod, '-f', resolve(root, REPORT)], {
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
});
