import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../support/cli.js';
import { serverPerSuite, tempDir } from '../support/server.js';

/** A port nothing listens on: a command that reached for the server would say "cannot reach". */
const NOWHERE = 'http://127.0.0.1:9';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'pipe' });

/** The CLI against one suite's server, with its token; `extra` adds or overrides environment variables. */
function cliFor(suite: ReturnType<typeof serverPerSuite>) {
  return (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli(args, {
      env: {
        RDS_PROVISIONER_URL: suite.server.url,
        RDS_PROVISIONER_API_TOKEN: suite.server.token,
        ...extra,
      },
    });
}

/** Asks for a database with `request --wait` and merges its pull request with `pr merge`. */
async function createMerged(
  cli: ReturnType<typeof cliFor>,
  name: string,
  environment = 'dev',
): Promise<string> {
  const run = await cli([
    'request',
    '--db-name',
    name,
    '--engine',
    'mysql',
    '--environment',
    environment,
    '--wait',
  ]);
  expect([run.code, run.stdout]).toEqual([0, expect.stringContaining('  pr_open  ')]);
  const pr = /pull request #(\d+)/.exec(run.stdout)?.[1];
  const merged = await cli(['pr', 'merge', String(pr)]);
  expect(merged.code).toBe(0);
  return run.stdout.slice(0, 36);
}

// Each test runs the CLI a dozen times, a node process each, on a machine other suites share.
describe('rds-provisioner db: the inventory, change and retire from the CLI', { timeout: 120_000 }, () => {
  const suite = serverPerSuite();
  const cli = cliFor(suite);
  /** Every request the server holds and the databases on its base branch: what "nothing changed" compares. */
  const state = async () => ({
    requests: (await suite.call('GET', '/requests?limit=200')).json.requests.map(
      (r: { request_id: string; status: string }) => [r.request_id, r.status],
    ),
    databases: (await suite.call('GET', '/databases?limit=100')).json,
  });

  it('db list on an empty repository prints the header alone, and --json the empty page', async () => {
    expect(await cli(['db', 'list'])).toEqual({
      code: 0,
      stdout: 'NAME  ENV  ENGINE  DEPLOYMENT  VERSION  SIZE  INSTANCES  OWNER  MANAGED  IN FLIGHT  DRIFT\n',
      stderr: '',
    });
    const json = await cli(['db', 'list', '--json']);
    expect([json.code, JSON.parse(json.stdout)]).toEqual([0, { databases: [], next_cursor: null }]);
  });

  it('lists and shows a database asked for with `request` and merged with `pr merge`', async () => {
    const created = await createMerged(cli, 'listed-db');
    const list = await cli(['db', 'list']);
    expect(list.code).toBe(0);
    const [header, ...rows] = list.stdout.trim().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'NAME',
      'ENV',
      'ENGINE',
      'DEPLOYMENT',
      'VERSION',
      'SIZE',
      'INSTANCES',
      'OWNER',
      'MANAGED',
      'IN FLIGHT',
      'DRIFT',
    ]);
    const row = rows.find((r) => r.startsWith('listed-db '))?.split(/\s+/);
    expect(row).toEqual([
      'listed-db',
      'dev',
      'mysql',
      'aurora-serverless',
      expect.stringMatching(/^8\.0/),
      'small',
      '1',
      'unassigned',
      'generated',
      '-',
      '-',
    ]);
    const json = await cli(['db', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toEqual((await suite.call('GET', '/databases')).json);

    const show = await cli(['db', 'show', 'listed-db']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^listed-db\n/);
    expect(show.stdout).toMatch(/^environment +dev$/m);
    expect(show.stdout).toMatch(/^file +terraform\/live\/dev\/listed-db\/main\.tf$/m);
    expect(show.stdout).toMatch(/^managed +generated$/m);
    expect(show.stdout).toMatch(new RegExp(`^written by +${created}$`, 'm'));
    expect(show.stdout).toMatch(/^in flight +-$/m);
    expect(show.stdout).toMatch(
      new RegExp(`^${created} +create +merged +admin +\\S+ +http://\\S+/pulls/\\d+$`, 'm'),
    );
    const showJson = await cli(['db', 'show', 'listed-db', '--json']);
    expect(JSON.parse(showJson.stdout)).toEqual((await suite.call('GET', '/databases/listed-db')).json);
  });

  it('db list --all follows next_cursor; without it, one page and a hint on stderr', async () => {
    await createMerged(cli, 'paged-a', 'staging');
    await createMerged(cli, 'paged-b', 'staging');
    const onePage = await cli(['db', 'list', '--environment', 'staging', '--limit', '1']);
    expect(
      onePage.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((r) => r.split(' ')[0]),
    ).toEqual(['paged-a']);
    expect(onePage.stderr).toBe('more databases: give --all to list every page\n');
    const all = await cli(['db', 'list', '--environment', 'staging', '--limit', '1', '--all', '--json']);
    expect(all.code).toBe(0);
    const body = JSON.parse(all.stdout) as { databases: Array<{ db_name: string }>; next_cursor: null };
    expect([body.databases.map((d) => d.db_name), body.next_cursor]).toEqual([['paged-a', 'paged-b'], null]);
  });

  it('db change --size --dry-run prints a diff touching only the size lines and the pull request, and queues nothing', async () => {
    await createMerged(cli, 'sized-db');
    const before = await state();
    const run = await cli(['db', 'change', 'sized-db', '--size', 'medium', '--dry-run']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const [diff, pullRequest] = run.stdout.split('\npull request ');
    const changed = (diff ?? '')
      .split('\n')
      .filter((line) => /^[-+](?![-+]{2} )/.test(line))
      .map((line) => line.slice(1))
      // The header comment names the request and sums the settings up; the settings are what matter.
      .filter((line) => !line.startsWith('#'));
    expect(changed).toEqual([
      '  serverless_min_capacity = 0.5',
      '  serverless_max_capacity = 2',
      '  serverless_min_capacity = 1',
      '  serverless_max_capacity = 8',
    ]);
    expect(pullRequest).toMatch(
      /^feature\/change-rds-sized-db-\S+ -> main\nChange mysql database sized-db \(dev\): size small → medium\n\n/,
    );
    expect(await state()).toEqual(before);
  });

  it('db change --size medium --wait opens the change pull request; a second change while it is open is a conflict naming the first', async () => {
    await createMerged(cli, 'changed-db');
    const run = await cli(['db', 'change', 'changed-db', '--size', 'medium', '--wait']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^[0-9a-f-]{36} {2}pr_open {2}changed-db \(mysql, dev\) {2}change\npull request #\d+: http:\/\/\S+\n(cost: about \S+ a month in [\w-]+ \([+-]\S+ a month\); an estimate: status --json lists what it leaves out\n)?$/,
    );
    const id = run.stdout.slice(0, 36);
    const request = (await suite.call('GET', `/requests/${id}`)).json;
    expect([request.kind, request.status, request.change]).toEqual(['change', 'pr_open', { size: 'medium' }]);
    expect(request.pull_request.branch).toMatch(/^feature\/change-rds-changed-db-/);

    const before = await state();
    const second = await cli(['db', 'change', 'changed-db', '--instances', '2']);
    expect(second).toEqual({
      code: 3,
      stdout: '',
      stderr: `conflict: a request for database changed-db is still in flight: ${id}\n`,
    });
    expect(await state()).toEqual(before);
    const show = await cli(['db', 'show', 'changed-db']);
    expect(show.stdout).toMatch(new RegExp(`^in flight +${id}$`, 'm'));
    expect(show.stdout).toMatch(new RegExp(`^${id} +change +pr_open `, 'm'));
  });

  it('db retire --yes --wait opens the retire pull request; with no terminal and no --yes it refuses, naming --yes', async () => {
    await createMerged(cli, 'retired-db');
    const before = await state();
    const refused = await cli(['db', 'retire', 'retired-db']);
    expect(refused).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '--yes: standard input is not a terminal, so nobody can confirm; give --yes to retire retired-db\n',
    });
    expect(await state()).toEqual(before);

    const run = await cli(['db', 'retire', 'retired-db', '--yes', '--wait']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^[0-9a-f-]{36} {2}pr_open {2}retired-db \(mysql, dev\) {2}retire\npull request #\d+: /,
    );
    const id = run.stdout.slice(0, 36);
    const request = (await suite.call('GET', `/requests/${id}`)).json;
    expect([request.kind, request.step, request.status]).toEqual(['retire', 1, 'pr_open']);
    const pull = (await suite.call('GET', `/pulls/${request.pull_request.number}`)).json;
    expect(pull.branch).toMatch(/^feature\/retire-rds-retired-db-/);
    expect(pull.diff).toContain('+++ /dev/null');
  });

  it('db retire on a terminal asks for the name: a wrong answer sends nothing, the name goes on', async () => {
    await createMerged(cli, 'confirmed-db');
    const before = await state();
    const wrong = await onTerminal(['db', 'retire', 'confirmed-db'], 'confirmed\n');
    expect(wrong.code).toBe(2);
    expect(wrong.output).toContain('Retire confirmed-db? ');
    expect(wrong.output).toContain('--yes: not confirmed; nothing was sent (give --yes to skip asking)');
    expect(await state()).toEqual(before);

    const right = await onTerminal(['db', 'retire', 'confirmed-db'], 'confirmed-db\n');
    expect(right.code).toBe(0);
    const id = /([0-9a-f-]{36}) {2}queued {2}http/.exec(right.output)?.[1];
    expect((await suite.call('GET', `/requests/${id}`)).json).toMatchObject({
      kind: 'retire',
      db_name: 'confirmed-db',
    });
  });

  /** The CLI with a terminal for standard input (util-linux `script`), typing `input` into it. */
  const onTerminal = (args: string[], input: string) =>
    new Promise<{ code: number; output: string }>((resolve) => {
      const command = [process.execPath, BIN, ...args].map((word) => `'${word}'`).join(' ');
      const child = execFile(
        'script',
        ['--quiet', '--return', '--command', command, '/dev/null'],
        {
          env: {
            ...process.env,
            RDS_PROVISIONER_URL: suite.server.url,
            RDS_PROVISIONER_API_TOKEN: suite.server.token,
          },
          encoding: 'utf8',
        },
        (error, stdout) => resolve({ code: error ? Number(error.code) : 0, output: stdout }),
      );
      child.stdin?.end(input);
    });

  it('db retire --dry-run needs no --yes, prints the removal and the pull request, and queues nothing', async () => {
    await createMerged(cli, 'previewed-db');
    const before = await state();
    const run = await cli(['db', 'retire', 'previewed-db', '--dry-run']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toMatch(/^--- a\/terraform\/live\/dev\/previewed-db\/main\.tf\n\+\+\+ \/dev\/null\n/);
    expect(run.stdout).toContain('\npull request feature/retire-rds-previewed-db-');
    expect(run.stdout).toContain('\nRetire mysql database previewed-db (dev)\n');
    expect(await state()).toEqual(before);
  });

  it('refuses bad input with its exit code and changes nothing: an unknown database, --instances abc, an engine change, a bad name', async () => {
    await createMerged(cli, 'guarded-db');
    const before = await state();
    for (const args of [
      ['db', 'show', 'no-such-db'],
      ['db', 'change', 'no-such-db', '--size', 'large'],
      ['db', 'retire', 'no-such-db', '--yes'],
    ])
      expect([args, await cli(args)]).toEqual([
        args,
        { code: 1, stdout: '', stderr: 'not found: no database no-such-db on main\n' },
      ]);

    // Refused by the CLI before anything is sent: pointed at a port nobody listens on, it still names
    // the field (a call would have said "cannot reach the server").
    const local: Array<[string[], string]> = [
      [['db', 'change', 'guarded-db', '--instances', 'abc'], 'instances: must be a whole number\n'],
      [
        ['db', 'change', 'guarded-db', '--engine', 'postgres'],
        'engine: changing the engine is a migration, not a change: ask for a new database and move the data\n',
      ],
      [
        ['db', 'change', 'guarded-db', '--environment', 'prod'],
        'environment: a database stays in its environment; ask for a new database in the other environment\n',
      ],
      [
        ['db', 'change', 'guarded-db'],
        '(options): names nothing to change; give one or more of --size, --instances, --engine-version, --owner, --tag, --remove-tag, --deployment\n',
      ],
      [
        ['db', 'show', 'Guarded_DB'],
        'NAME: may contain only lowercase letters, digits and hyphens\nNAME: must start with a lowercase letter\n',
      ],
      [['db', 'retire', 'a--b', '--yes'], 'NAME: must not contain two hyphens in a row\n'],
      [['db', 'list', '--engine', 'oracle'], 'engine: must be one of: mysql, postgres, mariadb\n'],
    ];
    for (const [args, stderr] of local)
      expect([args, await cli(args, { RDS_PROVISIONER_URL: NOWHERE })]).toEqual([
        args,
        { code: 2, stdout: '', stderr },
      ]);

    // Judged by the server against dev's policy (sizes small and medium, at most 2 instances): every
    // problem in one answer, each naming its field.
    const tooBig = await cli(['db', 'change', 'guarded-db', '--size', 'xlarge', '--instances', '3']);
    expect(tooBig).toMatchObject({ code: 2, stdout: '' });
    expect(
      tooBig.stderr
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(':')[0]),
    ).toEqual(['size', 'instances']);
    expect(await state()).toEqual(before);
  });

  it('shows a file edited by hand as such, with why, and refuses to change it with the conflict exit code', async () => {
    const created = await createMerged(cli, 'edited-db');
    // Someone edits the file on main by hand, the way a person would: clone, edit, push.
    const clone = join(tempDir('clone'), 'infra');
    git(ROOT, 'clone', '--quiet', suite.server.repo, clone);
    const file = join(clone, 'terraform/live/dev/edited-db/main.tf');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('instances      = 1', 'instances      = 1 # pinned by the DBA'),
    );
    git(
      clone,
      '-c',
      'user.name=someone',
      '-c',
      'user.email=someone@example.com',
      'commit',
      '--quiet',
      '-am',
      'by hand',
    );
    git(clone, 'push', '--quiet', 'origin', 'HEAD:main');

    const list = await cli(['db', 'list']);
    expect(list.stdout).toMatch(/^edited-db .* hand-edited +- +-$/m);
    const show = await cli(['db', 'show', 'edited-db']);
    expect(show.stdout).toMatch(/^managed +hand-edited: \S/m);
    expect(show.stdout).toMatch(new RegExp(`^written by +${created}$`, 'm'));
    const before = await state();
    const change = await cli(['db', 'change', 'edited-db', '--size', 'medium']);
    expect(change).toMatchObject({ code: 3, stdout: '' });
    expect(change.stderr).toMatch(
      /^conflict: terraform\/live\/dev\/edited-db\/main\.tf was edited by hand since rds-provisioner wrote it \(.+\); a change would overwrite that edit/,
    );
    expect(await state()).toEqual(before);
  });

  it('shows db in --help with each command, and the token help on each', async () => {
    const help = await runCli(['db', '--help']);
    expect(help.code).toBe(0);
    for (const command of ['list', 'show', 'change', 'retire']) expect(help.stdout).toContain(`  ${command}`);
    const change = await runCli(['db', 'change', '--help']);
    expect(change.stdout.replace(/\s+/g, ' ')).toContain('prefer $RDS_PROVISIONER_API_TOKEN or --token-file');
    expect(change.stdout).not.toMatch(/--engine </);
    expect(change.stdout).not.toMatch(/--environment </);
  });
});

describe('rds-provisioner db retire where the policy forbids it', { timeout: 120_000 }, () => {
  const config = join(tempDir('policy'), 'policy.yaml');
  const policy = readFileSync(join(ROOT, 'config/policy.yaml'), 'utf8');
  // dev's retire section: allowed false.
  writeFileSync(config, policy.replace(/(retire:\n\s+allowed: )true/, '$1false'));
  const suite = serverPerSuite({ args: ['--config', config] });
  const cli = cliFor(suite);

  it('prints "forbidden: " and the reason, exits 1 and queues nothing', async () => {
    await createMerged(cli, 'kept-db');
    const before = (await suite.call('GET', '/requests')).json.requests.length;
    const run = await cli(['db', 'retire', 'kept-db', '--yes']);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^forbidden: \S.*\n$/) });
    expect((await suite.call('GET', '/requests')).json.requests.length).toBe(before);
  });
});
