/**
 * The original system's single repository holds the service and the databases' Terraform together. A merge
 * that only adds, changes or removes a database (terraform/live, but its README and the backend.hcl the
 * tests check) must only plan and apply: never re-run `npm test` or `sam deploy`. GitHub: the `paths`
 * filters of test.yml and deploy-serverless.yml, evaluated here as GitHub evaluates them (patterns in
 * order, `!` excludes, the last match wins; `*` stops at `/`, `**` does not). CircleCI: the test and
 * deploy-serverless jobs' first step, scripts/ci-service-changed.sh, run on a real git repository. Both
 * must give the same answer on the same changes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'rdsp-path-filters-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A GitHub filter pattern as a regular expression (GitHub's cheat sheet: `*`, `**`, `?`). */
function patternRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*' && pattern[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether GitHub runs a workflow with these `paths` for these changed files. */
function githubRuns(paths: readonly string[], changed: readonly string[]): boolean {
  return changed.some((file) => {
    let included = false;
    for (const pattern of paths) {
      const negated = pattern.startsWith('!');
      if (patternRegex(negated ? pattern.slice(1) : pattern).test(file)) included = !negated;
    }
    return included;
  });
}

/** Every event's paths of a workflow that has them (the `on:` key read as YAML 1.2: "on"). */
function workflowPaths(file: string): Record<string, string[]> {
  const on = parse(read(`.github/workflows/${file}`)).on as Record<string, { paths?: string[] } | null>;
  const out: Record<string, string[]> = {};
  for (const [event, spec] of Object.entries(on)) if (spec?.paths) out[event] = spec.paths;
  return out;
}

/** Changes and whether the service's jobs must run for them. */
const CASES: Array<{ name: string; changed: string[]; service: boolean }> = [
  { name: 'a new per-database root', changed: ['terraform/live/dev/orders/main.tf'], service: false },
  {
    name: 'a database changed and another retired',
    changed: ['terraform/live/prod/billing/main.tf', 'terraform/live/staging/cms/main.tf'],
    service: false,
  },
  { name: "a single root's database file", changed: ['terraform/live/my-app-db.tf'], service: false },
  { name: "a root's lock file", changed: ['terraform/live/dev/orders/.terraform.lock.hcl'], service: false },
  {
    name: 'the shared backend.hcl (the tests check it)',
    changed: ['terraform/live/backend.hcl'],
    service: true,
  },
  { name: "terraform/live's README", changed: ['terraform/live/README.md'], service: true },
  { name: 'the module', changed: ['terraform/modules/rds/main.tf'], service: true },
  { name: 'the service', changed: ['src/app/accept-request.ts'], service: true },
  { name: 'the template', changed: ['template.yaml'], service: true },
  { name: 'a workflow', changed: ['.github/workflows/test.yml'], service: true },
  { name: 'the policy', changed: ['config/policy.yaml'], service: true },
  {
    name: 'a database and the service together',
    changed: ['terraform/live/dev/orders/main.tf', 'package.json'],
    service: true,
  },
];

describe('GitHub: the service workflows skip a change to the databases alone', () => {
  for (const file of ['test.yml', 'deploy-serverless.yml']) {
    const byEvent = workflowPaths(file);
    it(`${file} filters ${file === 'test.yml' ? 'pull requests and pushes' : 'pushes to main'} by path`, () => {
      expect(Object.keys(byEvent).sort()).toEqual(file === 'test.yml' ? ['pull_request', 'push'] : ['push']);
    });
    for (const { name, changed, service } of CASES)
      it(`${file}: ${name}: ${service ? 'runs' : 'skipped'}`, () => {
        expect(Object.keys(byEvent).length).toBeGreaterThan(0);
        for (const [event, paths] of Object.entries(byEvent))
          expect(githubRuns(paths, changed), `${file} on ${event}`).toBe(service);
      });
  }

  it('terraform.yml still plans and applies every change to terraform/', () => {
    for (const paths of Object.values(workflowPaths('terraform.yml')))
      for (const { changed } of CASES.filter((c) => c.changed.some((p) => p.startsWith('terraform/'))))
        expect(githubRuns(paths, changed)).toBe(true);
  });
});

describe('CircleCI: the test and deploy-serverless jobs stop at once for a change to the databases alone', () => {
  const circle = parse(read('.circleci/config.yml'));

  it('their first step after checkout asks scripts/ci-service-changed.sh and halts the job on "false"', () => {
    for (const job of ['test', 'deploy-serverless']) {
      const steps = circle.jobs[job].steps as unknown[];
      expect(steps.slice(0, 2), job).toEqual(['checkout', 'service-changed']);
      const step = (circle.commands['service-changed'].steps[0] as { run: { name: string; command: string } })
        .run;
      expect(step.name).toBe('Service paths changed?');
      expect(step.command).toMatch(/bash scripts\/ci-service-changed\.sh "\$base" "\$\{CIRCLE_SHA1\}"/);
      expect(step.command).toMatch(/circleci-agent step halt/);
      expect(step.command).toContain('<< pipeline.git.base_revision >>');
    }
  });

  /** A repository whose last commit changes these files; the script's answer for it. */
  function answer(changed: string[], base: 'parent' | 'none' = 'parent') {
    const dir = mkdtempSync(join(work, 'repo-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: dir,
        encoding: 'utf8',
      });
    git('init', '-q', '-b', 'main');
    writeFileSync(join(dir, 'README.md'), 'x\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'start');
    for (const path of changed) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), `${path}\n`);
    }
    git('add', '-A');
    git('commit', '-q', '-m', 'change');
    const run = spawnSync(
      'bash',
      [join(root, 'scripts/ci-service-changed.sh'), base === 'parent' ? 'HEAD~1' : '', 'HEAD'],
      { cwd: dir, encoding: 'utf8' },
    );
    return run;
  }

  for (const { name, changed, service } of CASES)
    it(`${name}: ${service ? 'runs' : 'halts'}`, () => {
      const run = answer(changed);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.trim().split('\n').at(-1)).toBe(String(service));
    });

  it('with no base to compare with (a first build), the service jobs run', () => {
    const run = answer(['terraform/live/dev/orders/main.tf'], 'none');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('true');
  });
});
