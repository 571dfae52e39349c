import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { serverPerSuite } from '../support/server.js';

/**
 * Issue 15 end to end on the local runtime, as its users would: the built server, and the CLI for every
 * step a person takes. The first start's token is the admin's; the admin gives alice (requester), bob
 * (approver) and carol (approver in dev only) their own tokens; the policy's prod separates duties.
 */
// Each test runs the CLI several times, a node process each, on a machine other suites share.
describe('roles on the local runtime: three people, separation of duties in prod, the audit trail', {
  timeout: 120_000,
}, () => {
  const suite = serverPerSuite();
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const started = new Date().toISOString();

  /** The CLI as one person: their own token, in the environment as a user would set it. */
  const as = (person: string, args: string[]) =>
    runCli(args, {
      env: {
        RDS_PROVISIONER_URL: suite.server.url,
        RDS_PROVISIONER_API_TOKEN: person === 'admin' ? suite.server.token : tokens[person],
      },
    });

  /** Asks for a prod database as `person` and waits for its pull request; its number. */
  const askForProd = async (person: string, name: string) => {
    const run = await as(person, [
      'request',
      '--db-name',
      name,
      '--engine',
      'postgres',
      '--environment',
      'prod',
      '--owner',
      `team-${name}`,
      '--wait',
    ]);
    expect([run.code, run.stdout]).toEqual([0, expect.stringContaining('  pr_open  ')]);
    const id = run.stdout.slice(0, 36);
    const status = JSON.parse((await as(person, ['status', id, '--json'])).stdout);
    expect(status.requester).toBe(person);
    return { id, pr: String(status.pull_request.number) };
  };

  it("the first start's token is the admin's", async () => {
    const me = await as('admin', ['whoami', '--json']);
    expect(me.code).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({
      id: 'admin',
      role: 'admin',
      environments: null,
      via: 'token',
    });
  });

  it('the admin creates a token for each person: printed once, alone on standard output', async () => {
    for (const [person, role, env] of [
      ['alice', 'requester', undefined],
      ['bob', 'approver', undefined],
      ['carol', 'approver', 'dev'],
    ] as const) {
      const run = await as('admin', [
        'token',
        'create',
        '--user',
        person,
        '--role',
        role,
        ...(env ? ['--env', env] : []),
      ]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^rdsp_[A-Za-z0-9_-]{43}\n$/);
      tokens[person] = run.stdout.trim();
      const id = /token (tok_[A-Za-z0-9_-]{16}) for /.exec(run.stderr)?.[1];
      expect(id).toBeDefined();
      ids[person] = id as string;
      expect(run.stderr).toContain(`for ${person} (${role} in ${env ?? 'every environment'}): shown once`);
      expect(run.stderr).not.toContain(tokens[person]);
    }
    // --json gives the same, the token in the JSON.
    const json = await as('admin', ['token', 'create', '--user', 'dave', '--role', 'admin', '--json']);
    expect(json.code).toBe(0);
    const dave = JSON.parse(json.stdout);
    expect(dave).toMatchObject({ user: 'dave', role: 'admin', environments: null });
    expect(dave.token).toMatch(/^rdsp_/);
    tokens.dave = dave.token;
    ids.dave = dave.id;

    // The list: every token, never a digest nor a token.
    const list = await as('admin', ['token', 'list', '--json']);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    for (const person of ['alice', 'bob', 'carol', 'dave'])
      expect(listed).toContainEqual(
        expect.objectContaining({ id: ids[person], user: person, revoked_at: null }),
      );
    expect(listed).toContainEqual(expect.objectContaining({ user: 'carol', environments: ['dev'] }));
    for (const token of Object.values(tokens)) expect(list.stdout).not.toContain(token);
    expect(list.stdout).not.toContain('digest');
    const table = await as('admin', ['token', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +USER +ROLE +ENVIRONMENTS +CREATED +REVOKED$/);
    expect(table.stdout).toMatch(new RegExp(`^${ids.carol} +carol +approver +dev +\\S+ +-$`, 'm'));
  });

  it('creating a token with an unknown role is refused 400 naming it, and nothing is created', async () => {
    const before = (await suite.call('GET', '/tokens')).json;
    const refused = await suite.call('POST', '/tokens', { user: 'mallory', role: 'superuser' });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_request');
    expect(refused.json.issues).toContainEqual({
      path: 'role',
      message: expect.stringMatching(/superuser.*requester.*approver.*admin/),
    });
    expect((await suite.call('GET', '/tokens')).json).toEqual(before);
    // The CLI knows the roles: it says so before sending anything.
    const cli = await as('admin', ['token', 'create', '--user', 'mallory', '--role', 'superuser']);
    expect(cli).toMatchObject({ code: 2, stdout: '' });
    expect(cli.stderr).toContain('--role: unknown role "superuser"');
    // What only the server knows (the policy's environments, the audit's page size): its 400, exit 2.
    const qa = await as('admin', [
      'token',
      'create',
      '--user',
      'mallory',
      '--role',
      'requester',
      '--env',
      'qa',
    ]);
    expect(qa).toEqual({
      code: 2,
      stdout: '',
      stderr: 'environments.0: "qa" is not an environment of the policy (dev, staging, prod)\n',
    });
    const big = await as('admin', ['audit', '--limit', '500']);
    expect(big).toMatchObject({ code: 2, stdout: '' });
    expect(big.stderr).toMatch(/^limit: /);
    // Only an admin creates tokens.
    const bob = await as('bob', ['token', 'create', '--user', 'mallory', '--role', 'admin']);
    expect(bob).toMatchObject({ code: 1, stdout: '' });
    expect(bob.stderr).toMatch(/^forbidden: /);
    expect((await suite.call('GET', '/tokens')).json).toEqual(before);
  });

  it('whoami tells each person their role, scope and what they may do where', async () => {
    const alice = JSON.parse((await as('alice', ['whoami', '--json'])).stdout);
    expect(alice).toMatchObject({ id: 'alice', role: 'requester', environments: null, via: 'token' });
    expect(alice.capabilities.environments.prod).toMatchObject({ request: true, merge: false });
    expect(alice.capabilities.service).toMatchObject({ read: true, manage_tokens: false, read_audit: false });
    const bob = JSON.parse((await as('bob', ['whoami', '--json'])).stdout);
    expect(bob).toMatchObject({ id: 'bob', role: 'approver', environments: null });
    expect(bob.capabilities.environments.prod.merge).toBe(true);
    expect(bob.capabilities.service.read_audit).toBe(true);
    const carol = JSON.parse((await as('carol', ['whoami', '--json'])).stdout);
    expect(carol).toMatchObject({ id: 'carol', role: 'approver', environments: ['dev'] });
    expect(carol.capabilities.environments.dev.merge).toBe(true);
    expect(carol.capabilities.environments.prod).toMatchObject({ request: false, merge: false });
    // The table a person reads.
    const text = await as('carol', ['whoami']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('carol: approver in dev (via token)');
    expect(text.stdout).toMatch(/^ENVIRONMENT +REQUEST +CHANGE +RETIRE +MERGE +CLOSE$/m);
    expect(text.stdout).toMatch(/^dev +yes +yes +yes +yes +yes$/m);
    expect(text.stdout).toMatch(/^prod +- +- +- +- +-$/m);
  });

  it('alice asks for a prod database; she cannot merge its pull request, nor can carol (dev only); bob merges it', async () => {
    const { id, pr } = await askForProd('alice', 'orders');
    const alice = await as('alice', ['pr', 'merge', pr]);
    expect(alice).toMatchObject({ code: 1, stdout: '' });
    expect(alice.stderr).toMatch(/^forbidden: .*prod/);
    const carol = await as('carol', ['pr', 'merge', pr]);
    expect(carol).toMatchObject({ code: 1, stdout: '' });
    expect(carol.stderr).toMatch(/^forbidden: .*prod/);
    expect(JSON.parse((await as('alice', ['status', id, '--json'])).stdout).status).toBe('pr_open');
    const bob = await as('bob', ['pr', 'merge', pr]);
    expect([bob.code, bob.stdout]).toEqual([
      0,
      expect.stringMatching(new RegExp(`^#${pr} merged into main`)),
    ]);
    expect(JSON.parse((await as('alice', ['status', id, '--json'])).stdout).status).toBe('merged');
  });

  it('bob asks for a prod database: merging his own is refused (separation of duties); dave, an admin, merges it', async () => {
    const { id, pr } = await askForProd('bob', 'ledger');
    const bob = await as('bob', ['pr', 'merge', pr]);
    expect(bob).toMatchObject({ code: 1, stdout: '' });
    expect(bob.stderr).toMatch(/^forbidden: .*separate_duties/);
    expect(JSON.parse((await as('bob', ['status', id, '--json'])).stdout).status).toBe('pr_open');
    const dave = await as('dave', ['pr', 'merge', pr]);
    expect([dave.code, dave.stdout]).toEqual([
      0,
      expect.stringMatching(new RegExp(`^#${pr} merged into main`)),
    ]);
  });

  it('a revoked token is refused at once (401), and revoking it again changes nothing', async () => {
    expect((await as('carol', ['requests'])).code).toBe(0);
    const revoked = await as('admin', ['token', 'revoke', ids.carol as string]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^${ids.carol} \\(carol, approver\\) revoked at \\S+\\n$`));
    const refused = await as('carol', ['requests']);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toBe(
      'unauthorized: the server refused the API token (from RDS_PROVISIONER_API_TOKEN): the token was revoked\n',
    );
    expect(refused.stderr).not.toContain(tokens.carol);
    const again = await as('admin', ['token', 'revoke', ids.carol as string, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).revoked_at).toBe(/revoked at (\S+)\n/.exec(revoked.stdout)?.[1]);
    const listed = JSON.parse((await as('admin', ['token', 'list', '--json'])).stdout);
    expect(listed.find((t: { id: string }) => t.id === ids.carol).revoked_at).not.toBeNull();
  });

  it('audit lists every refusal and every allowed action with who and when; a requester may not read it', async () => {
    const run = await as('bob', ['audit', '--json', '--all', '--since', started]);
    expect(run.code).toBe(0);
    const { entries } = JSON.parse(run.stdout) as {
      entries: Array<{
        at: string;
        actor: string;
        action: string;
        outcome: string;
        environment: string | null;
      }>;
    };
    const seen = entries.map((e) => [e.actor, e.action, e.outcome]);
    for (const expected of [
      ['admin', 'token.create', 'allowed'],
      ['bob', 'token.create', 'denied'],
      ['alice', 'request.create', 'allowed'],
      ['alice', 'pull.merge', 'denied'],
      ['carol', 'pull.merge', 'denied'],
      ['bob', 'pull.merge', 'allowed'],
      ['bob', 'request.create', 'allowed'],
      ['bob', 'pull.merge', 'denied'],
      ['dave', 'pull.merge', 'allowed'],
      ['admin', 'token.revoke', 'allowed'],
    ])
      expect(seen).toContainEqual(expected);
    // Four tokens made by the admin, besides the first start's own registrations.
    const made = entries.filter((e) => e.action === 'token.create' && e.outcome === 'allowed');
    expect(made.filter((e) => e.actor === 'admin')).toHaveLength(4);
    expect(made.filter((e) => e.actor !== 'admin').map((e) => e.actor)).toEqual([
      'first-start',
      'first-start',
    ]);
    // The revoked token's call: refused before any action.
    expect(entries).toContainEqual(expect.objectContaining({ action: 'auth.refused', outcome: 'denied' }));
    for (const e of entries) expect(e.at >= started).toBe(true);
    // Newest first, the first start's two registrations (one millisecond apart at most) included.
    const times = entries.map((e) => e.at);
    expect(times).toEqual([...times].sort().reverse());
    for (const token of Object.values(tokens)) expect(run.stdout).not.toContain(token);

    // Filters, and the table a person reads.
    const denied = await as('admin', ['audit', '--actor', 'alice', '--outcome', 'denied']);
    expect(denied.code).toBe(0);
    const lines = denied.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AT +ACTOR +ROLE +ACTION +OUTCOME +ENV +TARGET +DETAIL$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^\S+ +alice +requester +pull\.merge +denied +prod +/),
    ]);
    // Paging: one at a time, each page says there is more.
    const page = await as('admin', ['audit', '--limit', '1', '--json']);
    const first = JSON.parse(page.stdout);
    expect(first.entries).toHaveLength(1);
    expect(first.next_cursor).toEqual(expect.any(String));

    const alice = await as('alice', ['audit']);
    expect(alice).toMatchObject({ code: 1, stdout: '' });
    expect(alice.stderr).toMatch(/^forbidden: /);
  });
});
