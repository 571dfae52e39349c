import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';
import { api, type RunningServer, startServer, tempDir } from '../support/server.js';

const mode = (path: string) => statSync(path).mode & 0o777;
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

describe('serve keeps its files private on every start', () => {
  it('makes a data dir left 0755 with a 0644 database, WAL, SHM and token 0700 with 0600 files', async () => {
    const dataDir = tempDir('modes');
    // An earlier run that generated its token and was killed, so the WAL and SHM files are left behind.
    const earlier = await startServer({ dataDir, env: { RDS_PROVISIONER_API_TOKEN: '' } });
    await earlier.kill();
    const files = ['rds-provisioner.db', 'rds-provisioner.db-wal', 'rds-provisioner.db-shm', 'api-token'];
    chmodSync(dataDir, 0o755);
    for (const file of files) chmodSync(join(dataDir, file), 0o644);

    const server = await startServer({ dataDir, env: { RDS_PROVISIONER_API_TOKEN: '' } });
    try {
      expect(mode(dataDir).toString(8)).toBe('700');
      for (const file of files) expect([file, mode(join(dataDir, file)).toString(8)]).toEqual([file, '600']);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('serve where it cannot listen', () => {
  let busy: Server;
  let port: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((ready) => busy.listen(0, '127.0.0.1', ready));
    port = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((done) => busy.close(() => done())));

  it('says so in one line naming the port and --port, exits 1 and creates nothing', async () => {
    const dataDir = join(tempDir('busy'), 'data');
    const run = await runCli(['serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`port ${port} on 127.0.0.1 is in use; choose another with --port\n`);
    expect(run.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('names --host in one line when the host is not this machine or does not resolve, and creates nothing', async () => {
    const cases: Array<[string, string]> = [
      ['10.255.255.1', '10.255.255.1 is not an address of this machine; choose another with --host\n'],
      ['nosuch.invalid', 'host nosuch.invalid cannot be resolved; choose another with --host\n'],
    ];
    for (const [host, stderr] of cases) {
      const dataDir = join(tempDir('host'), 'data');
      const run = await runCli(['serve', '--port', '0', '--host', host, '--data-dir', dataDir]);
      expect(run).toEqual({ code: 1, stdout: '', stderr });
      expect(existsSync(dataDir)).toBe(false);
    }
  });

  it('closes the bound port and exits when start-up fails after binding', async () => {
    const dir = tempDir('after-bind');
    const notARepo = join(dir, 'file');
    writeFileSync(notARepo, 'not a repository');
    const run = await runCli(['serve', '--port', '0', '--data-dir', join(dir, 'data'), '--repo', notARepo]);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${notARepo} exists, is not empty and is not a git repository\n`,
    });
    const unmakeable = join(notARepo, 'data');
    const data = await runCli(['serve', '--port', '0', '--data-dir', unmakeable]);
    expect(data).toEqual({
      code: 2,
      stdout: '',
      stderr: `--data-dir ${unmakeable}: cannot create it or make it private (0700): ENOTDIR\n`,
    });
  });
});

describe('the CLI: version, token sources and messages', () => {
  let server: RunningServer;
  let url: string;
  let tokenFile: string;

  beforeAll(async () => {
    server = await startServer();
    url = server.url;
    tokenFile = join(tempDir('token'), 'token');
    writeFileSync(tokenFile, `${server.token}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  /** The CLI with the server's URL and no token from the environment. */
  const cli = (args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) =>
    runCli(args, {
      ...options,
      env: { RDS_PROVISIONER_URL: url, RDS_PROVISIONER_API_TOKEN: undefined, ...options.env },
    });

  it('prints the package version with --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag]);
      expect(run).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });
    }
  });

  it('reads the token from --token-file, from standard input with --token-file -, and still from --token', async () => {
    const fromFile = await cli(['requests', '--json', '--token-file', tokenFile]);
    expect([fromFile.code, fromFile.stderr]).toEqual([0, '']);
    expect(JSON.parse(fromFile.stdout)).toEqual([]);
    const fromStdin = await cli(['requests', '--json', '--token-file', '-'], { input: `${server.token}\n` });
    expect([fromStdin.code, fromStdin.stderr]).toEqual([0, '']);
    const fromFlag = await cli(['pr', 'list', '--token', server.token]);
    expect([fromFlag.code, fromFlag.stderr]).toEqual([0, '']);
  });

  it('says in --help that the environment variable or --token-file is preferred over --token', async () => {
    for (const command of [['requests'], ['request'], ['status'], ['pr', 'merge']]) {
      const help = await runCli([...command, '--help']);
      expect(help.code).toBe(0);
      const text = help.stdout.replace(/\s+/g, ' ');
      expect(text).toContain('--token-file <file>');
      expect(text).toMatch(/prefer \$RDS_PROVISIONER_API_TOKEN or --token-file/);
      expect(text).toContain('process list');
    }
  });

  it('refuses a token file it cannot use, naming --token-file, before sending anything', async () => {
    const empty = join(tempDir('token'), 'empty');
    writeFileSync(empty, '\n');
    const cases: Array<[string[], string | undefined, string]> = [
      [
        ['--token-file', '/no/such/token'],
        undefined,
        '--token-file: cannot read /no/such/token: no such file\n',
      ],
      [['--token-file', empty], undefined, `--token-file: ${empty} is empty\n`],
      [['--token-file', '-'], '', '--token-file: standard input is empty\n'],
      [
        ['--token', server.token, '--token-file', tokenFile],
        undefined,
        '--token-file: give either --token or --token-file, not both\n',
      ],
    ];
    for (const [args, input, stderr] of cases) {
      const run = await cli(
        ['request', '--db-name', 'never', '--engine', 'mysql', '--environment', 'dev', ...args],
        {
          ...(input !== undefined ? { input } : {}),
        },
      );
      expect(run).toEqual({ code: 2, stdout: '', stderr });
    }
    const { json } = await api(server)('GET', '/requests');
    expect(json.requests).toEqual([]);
  });

  it('says the server refused a token that was given, with its reason, and how to give one when none was', async () => {
    const wrongFile = join(tempDir('token'), 'wrong');
    writeFileSync(wrongFile, 'not-the-token\n');
    const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
      [
        [],
        { RDS_PROVISIONER_API_TOKEN: 'not-the-token' },
        'unauthorized: the server refused the API token (from RDS_PROVISIONER_API_TOKEN): the token is not valid\n',
      ],
      [
        ['--token-file', wrongFile],
        {},
        `unauthorized: the server refused the API token (from --token-file ${wrongFile}): the token is not valid\n`,
      ],
      [
        ['--token', 'not-the-token'],
        {},
        'unauthorized: the server refused the API token (from --token): the token is not valid\n',
      ],
      [
        [],
        {},
        'unauthorized: no API token given; set RDS_PROVISIONER_API_TOKEN or give --token-file <file>\n',
      ],
    ];
    for (const [args, env, stderr] of cases) {
      const run = await cli(['requests', ...args], { env });
      expect(run).toEqual({ code: 1, stdout: '', stderr });
    }
  });

  it('prints "#N merged into main (commit)" for pr merge and "#N closed" for pr close', async () => {
    const env = { RDS_PROVISIONER_API_TOKEN: server.token };
    const numbers: number[] = [];
    for (const name of ['merged-one', 'closed-one']) {
      const run = await cli(
        ['request', '--db-name', name, '--engine', 'mysql', '--environment', 'dev', '--wait'],
        {
          env,
        },
      );
      expect(run.code).toBe(0);
      numbers.push(Number(/pull request #(\d+)/.exec(run.stdout)?.[1]));
    }
    const [merge, close] = numbers as [number, number];
    const merged = await cli(['pr', 'merge', String(merge)], { env });
    expect(merged).toMatchObject({ code: 0, stderr: '' });
    expect(merged.stdout).toMatch(new RegExp(`^#${merge} merged into main \\([0-9a-f]{12}\\)\\n$`));
    expect(await cli(['pr', 'close', String(close)], { env })).toEqual({
      code: 0,
      stdout: `#${close} closed\n`,
      stderr: '',
    });
  });
});
