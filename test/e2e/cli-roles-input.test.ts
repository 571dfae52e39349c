import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

/**
 * The CLI's own checks of `token`, `audit` and `whoami` flags: every problem in one answer, exit 2, and
 * nothing sent (the URL is a port nothing listens on: a call would say "cannot reach", exit 1).
 */
describe('token, audit and whoami refuse bad flags before any call', () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const closed = createServer();
    await new Promise<void>((ready) => closed.listen(0, '127.0.0.1', ready));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((done) => closed.close(() => done()));
    env = { RDS_PROVISIONER_URL: `http://127.0.0.1:${port}`, RDS_PROVISIONER_API_TOKEN: 'rdsp_unused' };
  });

  it('token create names a missing user and an unknown role in one answer, listing the roles', async () => {
    const run = await runCli(['token', 'create', '--role', 'superuser'], { env });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '--user: is required: who the token identifies\n--role: unknown role "superuser": one of requester, approver, admin, pipeline\n',
    });
  });

  it("token create names a user the server would refuse and an unknown role, in the server's words", async () => {
    const run = await runCli(['token', 'create', '--user', 'github:bob', '--role', 'root'], { env });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '--user: must start with a letter or digit and hold only letters, digits and . _ @ + -\n--role: unknown role "root": one of requester, approver, admin, pipeline\n',
    });
  });

  it('token create names a missing role and an empty environment in --env', async () => {
    const run = await runCli(['token', 'create', '--user', 'carol', '--env', 'dev,,prod'], { env });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '--role: is required: one of requester, approver, admin, pipeline\n--env: must be environment names separated by commas, none empty\n',
    });
  });

  it('token revoke refuses what cannot be a token id', async () => {
    const run = await runCli(['token', 'revoke', 'alice'], { env });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: 'id: must be a token id: tok_ and 16 letters, digits, - or _\n',
    });
  });

  it('audit names every bad filter at once: action, outcome, times, limit, an empty actor', async () => {
    const run = await runCli(
      [
        'audit',
        '--action',
        'explode',
        '--outcome',
        'maybe',
        '--since',
        'yesterday',
        '--until',
        '2026-02-31',
        '--limit',
        '0',
        '--actor',
        ' ',
      ],
      { env },
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toEqual([
      '--action: must be one of request.create, request.change, request.retire, pull.merge, pull.close, token.create, token.revoke, auth.refused',
      '--outcome: must be allowed or denied',
      '--since: must be an ISO 8601 time such as 2026-12-01T09:00:00Z, or a time ago such as 30m, 2h or 7d',
      '--until: must be an ISO 8601 time such as 2026-12-01T09:00:00Z, or a time ago such as 30m, 2h or 7d',
      '--limit: must be a whole number from 1',
      '--actor: must not be empty',
      '',
    ]);
  });

  it('says in --help what each command does, and that a created token is shown once', async () => {
    const token = await runCli(['token', '--help']);
    expect(token.code).toBe(0);
    for (const command of ['create', 'list', 'revoke']) expect(token.stdout).toContain(command);
    const create = await runCli(['token', 'create', '--help']);
    expect(create.stdout).toContain('--role <role>');
    expect(create.stdout).toContain('printed once');
    const audit = await runCli(['audit', '--help']);
    for (const flag of ['--actor', '--action', '--outcome', '--since', '--limit', '--all', '--json'])
      expect(audit.stdout).toContain(flag);
    const whoami = await runCli(['whoami', '--help']);
    expect(whoami.stdout).toContain('what you may do in each environment');
    const top = await runCli(['--help']);
    for (const command of ['token', 'whoami', 'audit'])
      expect(top.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});
