/**
 * `rds-provisioner report plan|apply|drift`, the built CLI against the real built server (local runtime),
 * on the real `terraform show -json` documents in test/fixtures/terraform-json/. What is asserted is what
 * a pipeline sees (exit code, one-line summary, messages) and what the service recorded; the instance
 * fixtures carry a value Terraform marks sensitive (an application secret's string), which the service
 * must never receive.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { githubPullRequestEnv } from '../support/ci-env.js';
import { BIN, ROOT, runCli } from '../support/cli.js';
import { serverPerSuite, tempDir, waitFor } from '../support/server.js';

const FIXTURES = join(ROOT, 'test/fixtures/terraform-json');
const fixture = (deployment: string, name: string) => join(FIXTURES, deployment, `${name}.json`);
/** The value the instance fixtures' aws_secretsmanager_secret_version.app holds, marked sensitive. */
const SECRET = 'fixture-app-password-Zq8vW2';
/** No CI around the CLI unless a test says so: the runner's own variables must not decide anything. */
const NO_CI = {
  GITHUB_ACTIONS: '',
  CIRCLECI: '',
  RDS_PROVISIONER_API_TOKEN: '',
  RDS_PROVISIONER_PIPELINE_TOKEN: '',
};

describe('rds-provisioner report: the pipeline reports through the CLI', { timeout: 120_000 }, () => {
  const suite = serverPerSuite();
  const work = tempDir('report-cli');
  /** The CLI as the pipeline runs it: the service's URL and the pipeline's token. */
  const report = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string) =>
    runCli(['report', ...args], {
      env: {
        ...NO_CI,
        RDS_PROVISIONER_URL: suite.server.url,
        RDS_PROVISIONER_PIPELINE_TOKEN: suite.server.pipelineToken,
        ...env,
      },
      ...(input !== undefined && { input }),
    });
  /** The CLI as a requester runs it. */
  const cli = (args: string[]) =>
    runCli(args, {
      env: { ...NO_CI, RDS_PROVISIONER_URL: suite.server.url, RDS_PROVISIONER_API_TOKEN: suite.server.token },
    });
  const status = async (id: string) => (await suite.call('GET', `/requests/${id}`)).json;
  const headOf = (branch: string) =>
    execFileSync('git', ['--git-dir', suite.server.repo, 'rev-parse', `refs/heads/${branch}`], {
      encoding: 'utf8',
    }).trim();

  async function openRequest(db_name: string, deployment: string, engine = 'postgres') {
    const accepted = await suite.call('POST', '/provision', {
      db_name,
      engine,
      environment: 'dev',
      deployment,
    });
    expect(accepted.status, accepted.text).toBe(202);
    const id = accepted.json.request_id as string;
    const open = await waitFor(
      () => status(id),
      (s) => s?.status === 'pr_open',
    );
    const { number, branch } = open.pull_request as { number: number; branch: string };
    return { id, number, branch, commit: headOf(branch) };
  }

  async function merge(id: string, number: number): Promise<string> {
    expect((await suite.call('POST', `/pulls/${number}/merge`)).status).toBe(200);
    const merged = await waitFor(
      () => status(id),
      (s) => s?.status === 'merged',
    );
    return merged.merge_commit as string;
  }

  /** A plan report's flags for an open request. */
  const flags = (open: { branch: string; number: number; commit: string }) => [
    '--branch',
    open.branch,
    '--pr',
    String(open.number),
    '--commit',
    open.commit,
  ];

  /** Everything the service holds that a report could have changed. */
  const snapshot = async (id: string, number: number) => ({
    request: await status(id),
    pull: (await suite.call('GET', `/pulls/${number}`)).json,
    databases: (await suite.call('GET', '/databases?limit=100')).json,
  });

  it('report plan FILE: the plan recorded on the pull request, a one-line summary, a replay said so', async () => {
    const { id, number, branch, commit } = await openRequest('orders', 'aurora');
    const run = await report([
      'plan',
      fixture('aurora', 'create-plan'),
      ...flags({ branch, number, commit }),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^plan of #${number} at ${commit.slice(0, 12)} for request ${id}: orders \\+\\d+ ~0 -0\\n$`),
    );
    const recorded = (await status(id)).plan;
    expect(recorded).toMatchObject({ commit, pull_request: number, databases: [{ db_name: 'orders' }] });
    expect(run.stdout).toContain(`orders +${recorded.databases[0].add} ~0 -0`);
    const comments = (await suite.call('GET', `/pulls/${number}`)).json.comments;
    expect(comments).toHaveLength(1);
    // `status` shows the plan (and the cost estimate) the service holds.
    const shown = await cli(['status', id]);
    expect(shown.stdout).toContain(
      `\nplan at ${commit.slice(0, 12)}: orders +${recorded.databases[0].add} ~0 -0\n`,
    );
    expect(shown.stdout).toMatch(/^cost: about \$[\d.]+(–\$[\d.]+)? a month in [a-z0-9-]+; an estimate: /m);

    // The same plan again, from standard input, everything else from GitHub Actions' environment.
    const replay = await report(
      ['plan', '-', '--json'],
      githubPullRequestEnv(work, { number, branch, head: commit }),
      readFileSync(fixture('aurora', 'create-plan'), 'utf8'),
    );
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ request_id: id, changed: false, plan: { commit } });
  });

  it('drops every value Terraform marks sensitive before sending: the service never sees the secret', async () => {
    const { id, number, branch, commit } = await openRequest('cms', 'instance', 'mysql');
    const raw = JSON.parse(readFileSync(fixture('instance', 'create-plan'), 'utf8'));
    expect(JSON.stringify(raw)).toContain(SECRET);
    // Sent as it is, the service refuses the document, naming the address that holds the value.
    const direct = await fetch(`${suite.server.url}/reports/plan`, {
      method: 'POST',
      headers: { authorization: `Bearer ${suite.server.pipelineToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ branch, pull_request: number, commit, plan: raw }),
    });
    expect(direct.status).toBe(400);
    expect(await direct.text()).toContain('aws_secretsmanager_secret_version.app');

    const run = await report(['plan', fixture('instance', 'create-plan')], {
      CIRCLECI: 'true',
      CIRCLE_SHA1: commit,
      CIRCLE_BRANCH: branch,
      CIRCLE_PULL_REQUEST: `https://github.com/o/r/pull/${number}`,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`for request ${id}: cms +`);
    const held = JSON.stringify(await snapshot(id, number));
    expect(held).toContain('"db_name":"cms"');
    expect(held).not.toContain(SECRET);
    expect(suite.server.output.join('\n')).not.toContain(SECRET);

    // The state after the apply holds the secret too (and the database's password, marked sensitive).
    const mergeCommit = await merge(id, number);
    const applied = await report(['apply', fixture('instance', 'state'), '--commit', mergeCommit]);
    expect(applied.stderr).toBe('');
    expect([applied.code, applied.stdout]).toEqual([
      0,
      `apply succeeded at ${mergeCommit.slice(0, 12)}: cms ready (${id})\n`,
    ]);
    const after = JSON.stringify(await snapshot(id, number));
    expect(after).toContain('"status":"ready"');
    expect(after).not.toContain(SECRET);
    expect(suite.server.output.join('\n')).not.toContain(SECRET);
  });

  it('without the pipeline token, or with a requester token: exit 1 naming the token, nothing recorded', async () => {
    const { id, number, branch, commit } = await openRequest('tokenless', 'aurora');
    const before = await snapshot(id, number);
    const args = ['plan', fixture('aurora', 'create-plan'), ...flags({ branch, number, commit })];
    const none = await report(args, { RDS_PROVISIONER_PIPELINE_TOKEN: '' });
    expect(none).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "unauthorized: no pipeline token given; set RDS_PROVISIONER_PIPELINE_TOKEN or give --token-file <file> (reports take the service's pipeline token, not a requester's API token)\n",
    });
    const requester = await report(args, { RDS_PROVISIONER_PIPELINE_TOKEN: suite.server.token });
    expect(requester.code).toBe(1);
    expect(requester.stderr).toBe(
      "unauthorized: the server refused the pipeline token (from RDS_PROVISIONER_PIPELINE_TOKEN); check it (reports take the service's pipeline token, not a requester's API token)\n",
    );
    expect(requester.stderr).not.toContain(suite.server.token);
    expect(await snapshot(id, number)).toEqual(before);
  });

  it('a malformed file is invalid input naming the file, and nothing is sent', async () => {
    const open = await openRequest('malformed', 'aurora');
    const before = await snapshot(open.id, open.number);
    const given = flags(open);
    const broken = join(work, 'broken.json');
    writeFileSync(broken, '{"format_version": "1.2", "resource_changes": [ {"address": "top-secret-value" ');
    const notJson = await report(['plan', broken, ...given]);
    expect(notJson.code).toBe(2);
    expect(notJson.stdout).toBe('');
    expect(notJson.stderr).toMatch(
      new RegExp(
        `^${broken}: is not valid JSON \\(at byte \\d+\\): give \`terraform show -json\` output\\n$`,
      ),
    );
    expect(notJson.stderr).not.toContain('top-secret-value');

    const notAPlan = join(work, 'not-a-plan.json');
    writeFileSync(notAPlan, JSON.stringify({ format_version: '9.0', resource_changes: [] }));
    const wrongVersion = await report(['plan', notAPlan, ...given]);
    expect(wrongVersion.code).toBe(2);
    expect(wrongVersion.stderr).toMatch(new RegExp(`^${notAPlan}: plan\\.format_version: `));

    const list = join(work, 'list.json');
    writeFileSync(list, '[]');
    expect(await report(['plan', list, ...given])).toEqual({
      code: 2,
      stdout: '',
      stderr: `${list}: is not a JSON object: give \`terraform show -json\` output\n`,
    });
    const missing = await report(['plan', join(work, 'nowhere.json'), ...given]);
    expect(missing).toEqual({
      code: 2,
      stdout: '',
      stderr: `FILE: cannot read ${join(work, 'nowhere.json')}: no such file\n`,
    });
    const stdinTwice = await report(['plan', '-', '--token-file', '-', ...given], {}, '{}');
    expect(stdinTwice.code).toBe(2);
    expect(stdinTwice.stderr).toContain('--token-file: standard input is the report (FILE -)');
    expect(await snapshot(open.id, open.number)).toEqual(before);
  });

  it('a flag that cannot be inferred is a usage error naming the flag and the variables it reads', async () => {
    const file = fixture('aurora', 'create-plan');
    const pr = await report(['plan', file, '--branch', 'b', '--commit', 'c'.repeat(40)]);
    expect(pr).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '--pr: not given, and not found in the CI environment (GitHub Actions: GITHUB_REF (refs/pull/N/merge) or the pull_request event at GITHUB_EVENT_PATH; CircleCI: CIRCLE_PULL_REQUEST (…/pull/N))\n',
    });
    const commit = await report(['drift', file, '--branch', 'main']);
    expect(commit.code).toBe(2);
    expect(commit.stderr).toBe(
      '--commit: not given, and not found in the CI environment (GitHub Actions: GITHUB_SHA; CircleCI: CIRCLE_SHA1)\n',
    );
    // A push on GitHub has no pull request: the plan's PR is not guessed from anything else.
    const push = await report(['plan', file], {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_SHA: 'c'.repeat(40),
    });
    expect(push.code).toBe(2);
    expect(push.stderr).toMatch(/^--pr: not given/);
    const bad = await report(['plan', file, '--branch', 'b', '--commit', 'c'.repeat(40), '--pr', 'seven']);
    expect(bad).toEqual({
      code: 2,
      stdout: '',
      stderr: '--pr: must be a pull request number, not "seven"\n',
    });
    expect((await report(['apply', '--commit', 'c'.repeat(40)])).stderr).toMatch(/^FILE: is required: /);
  });

  it('404 and 409 say why, with their own exit codes; nothing is recorded', async () => {
    const { id, number, branch, commit } = await openRequest('refused', 'aurora');
    const before = await snapshot(id, number);
    const file = fixture('aurora', 'create-plan');
    const stale = await report([
      'plan',
      file,
      '--branch',
      branch,
      '--pr',
      String(number),
      '--commit',
      'f'.repeat(40),
    ]);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toMatch(/^conflict: .*stale/);
    const unknown = await report([
      'plan',
      file,
      '--branch',
      'feature/nobody',
      '--pr',
      '999',
      '--commit',
      commit,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^not found: .*feature\/nobody/);
    const notMerged = await report(['apply', fixture('aurora', 'state'), '--commit', 'e'.repeat(40)]);
    expect(notMerged.code).toBe(1);
    expect(notMerged.stderr).toMatch(/^not found: /);
    expect(await snapshot(id, number)).toEqual(before);
  });

  it('request --wait --until ready follows applying to ready, then prints the connection and the password command', async () => {
    const args = ['request', '--db-name', 'awaited', '--engine', 'postgres', '--environment', 'dev'];
    // What the waiting CLI has printed so far: it polls, so the test merges only once it has seen pr_open.
    let progress = '';
    const waiting = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [BIN, ...args, '--deployment', 'aurora', '--wait', '--until', 'ready'],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            ...NO_CI,
            RDS_PROVISIONER_URL: suite.server.url,
            RDS_PROVISIONER_API_TOKEN: suite.server.token,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => {
        stderr += c;
        progress = stderr;
      });
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    type Listed = { request_id: string; db_name: string; status: string; pull_request: { number: number } };
    const listed: Listed[] = await waitFor(
      async () => (await suite.call('GET', '/requests?limit=200')).json.requests,
      (rs: Listed[]) => rs.some((r) => r.db_name === 'awaited' && r.status === 'pr_open'),
    );
    const { request_id: id, pull_request } = listed.find((r) => r.db_name === 'awaited') as Listed;
    await waitFor(
      async () => progress,
      (text: string) => text.split('\n').some((line) => line.split('  ').at(-1) === 'pr_open'),
    );
    const mergeCommit = await merge(id, pull_request.number);
    // Saved plan, before the apply: applying.
    const started = await report([
      'apply',
      '--started',
      fixture('aurora', 'create-plan'),
      '--commit',
      mergeCommit,
    ]);
    expect(started).toMatchObject({
      code: 0,
      stdout: `apply started at ${mergeCommit.slice(0, 12)}: awaited applying (${id})\n`,
    });
    // The fixture's state is of the database `orders`: renamed to this one, as its own root would hold it.
    const state = join(work, 'awaited-state.json');
    writeFileSync(state, readFileSync(fixture('aurora', 'state'), 'utf8').replaceAll('orders', 'awaited'));
    expect((await report(['apply', state, '--commit', mergeCommit])).code).toBe(0);

    const run = await waiting;
    expect(run.code).toBe(0);
    const seen = run.stderr
      .trim()
      .split('\n')
      .map((l) => l.split('  ').at(-1));
    expect(seen).toEqual(expect.arrayContaining(['pr_open', 'merged', 'applying', 'ready']));
    expect(run.stdout).toMatch(new RegExp(`^${id}  ready  awaited \\(postgres, dev\\)\\n`));
    expect(run.stdout).toContain(`merged as ${mergeCommit}`);
    const connection = (await status(id)).connection;
    expect(run.stdout).toContain(`  writer    ${connection.writer_endpoint}:${connection.port}\n`);
    expect(run.stdout).toContain(`  password  ${connection.password_command}\n`);
    expect(connection.password_command).toMatch(/^aws secretsmanager get-secret-value --secret-id arn:/);

    // `status` says the same at once; `db show` shows how to connect too.
    const shown = await cli(['status', id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`  password  ${connection.password_command}\n`);
    const db = await cli(['db', 'show', 'awaited']);
    expect(db.stdout).toContain(`  writer    ${connection.writer_endpoint}:${connection.port}\n`);
  });

  it('report apply --failed LOG: apply_failed with the reason from the end of the log; status exits 4', async () => {
    const { id, number } = await openRequest('broken', 'aurora');
    const mergeCommit = await merge(id, number);
    const log = join(work, 'apply.log');
    // More than the 64 KiB sent: only the end, where Terraform's error is, goes.
    writeFileSync(
      log,
      `${'module.broken.aws_rds_cluster.this[0]: Still creating... [10s elapsed]\n'.repeat(2000)}\nError: creating RDS Cluster (broken): InvalidParameterCombination: the instance class is not available\n`,
    );
    const run = await report(['apply', '--failed', log, '--commit', mergeCommit]);
    expect(run.stderr).toBe('');
    expect(run).toMatchObject({
      code: 0,
      stdout: `apply failed at ${mergeCommit.slice(0, 12)}: broken apply_failed (${id})\n`,
    });
    const shown = await cli(['status', id]);
    expect(shown.code).toBe(4);
    expect(shown.stdout).toMatch(/^apply failed: .*InvalidParameterCombination/m);
    const waited = await cli(['status', id, '--wait', '--until', 'ready']);
    expect(waited.code).toBe(4);
  });

  it('report drift FILE: drift shown per database by db show and db list', async () => {
    const { id, number } = await openRequest('events', 'aurora-serverless');
    const mergeCommit = await merge(id, number);
    const run = await report(['drift', fixture('aurora-serverless', 'drift-plan')], {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'schedule',
      GITHUB_REF_NAME: 'main',
      GITHUB_SHA: mergeCommit,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`drift of main at ${mergeCommit.slice(0, 12)}: 1 drifted (events), 0 clean\n`);
    const show = await cli(['db', 'show', 'events']);
    expect(show.stdout).toMatch(/^drift: DRIFTED since \S+ \(checked \S+ at [0-9a-f]{12}\)$/m);
    expect(show.stdout).toMatch(/^ {2}module\.events\.\S+: \S+/m);
    const list = await cli(['db', 'list']);
    expect(list.stdout).toMatch(/^events .* drifted$/m);
  });
});
