/**
 * `serve --after-merge CMD`: after a local merge the server reports the apply started, runs the user's
 * command in a fresh checkout of the merge commit, and reports its outcome through the same use case as
 * POST /reports/apply: standard output, `terraform show -json` of the state, → ready; a failure, with
 * the tail of standard error as Terraform's log, → apply_failed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { processAlive } from '../support/process-alive.js';
import { api, type RunningServer, startServer, tempDir, waitFor } from '../support/server.js';

/** Each test merges and waits for the command: a server under load may take a while. */
const TEST_TIMEOUT = 120_000;
const STATE_FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'terraform-json', 'aurora', 'state.json');

/** What the command of each test does, chosen by the root the merge touched (terraform/live/dev/<db>). */
const SCRIPT = `#!/bin/sh
set -u
out="$AFTER_MERGE_DIR/$RDS_PROVISIONER_COMMIT"
mkdir "$out"
# One command at a time: a second one while this one runs would find the lock taken.
mkdir "$AFTER_MERGE_DIR/lock" || { echo "another after-merge command is running" >&2; exit 3; }
echo "$RDS_PROVISIONER_COMMIT" >> "$AFTER_MERGE_DIR/order"
env > "$out/env"
pwd > "$out/cwd"
git rev-parse HEAD > "$out/head"
ls terraform/live/dev > "$out/roots-here"
case "$RDS_PROVISIONER_ROOTS" in
  *dev/orders*)
    while [ ! -f "$AFTER_MERGE_DIR/gate" ]; do sleep 0.05; done
    rmdir "$AFTER_MERGE_DIR/lock"
    cat "$STATE_FIXTURE"
    ;;
  *dev/broken*)
    rmdir "$AFTER_MERGE_DIR/lock"
    echo "Terraform used the selected providers to generate the following execution plan." >&2
    echo "Error: creating RDS Cluster (broken): InvalidParameterCombination: The engine version is not available" >&2
    exit 1
    ;;
  *dev/garbled*)
    rmdir "$AFTER_MERGE_DIR/lock"
    echo "Apply complete! Resources: 3 added, 0 changed, 0 destroyed."
    ;;
  *)
    sleep 0.2
    rmdir "$AFTER_MERGE_DIR/lock"
    # The fixture's database, renamed to the one merged.
    sed "s/orders/$(basename "$RDS_PROVISIONER_ROOTS")/g" "$STATE_FIXTURE"
    ;;
esac
`;

describe('serve --after-merge', () => {
  let server: RunningServer;
  let call: ReturnType<typeof api>;
  let dir: string;

  beforeAll(async () => {
    ({ server, call, dir } = await startWithCommand(SCRIPT));
  });
  afterAll(() => server && stopCleanly(server));

  const status = (id: string) => call('GET', `/requests/${id}`);
  const until = (id: string, wanted: string) => untilOn(call, id, wanted);

  const openRequest = (dbName: string) => openRequestOn(call, dbName);
  const merge = (number: number) => mergeOn(call, number);

  const outputOf = (commit: string, file: string) => readFileSync(join(dir, commit, file), 'utf8');

  it(
    'answers the merge at once, runs the command in a checkout of the merge commit, and ends ready with the state it printed',
    async () => {
      const { id, number } = await openRequest('orders');
      const commit = await merge(number);
      expect(commit).toMatch(/^[0-9a-f]{40}$/);

      // The merge's answer came back while the command waits for its gate.
      try {
        await waitFor(
          async () => existsSync(join(dir, commit, 'roots-here')),
          (present) => present,
        );
        expect(outputOf(commit, 'head').trim()).toBe(commit);
        expect(outputOf(commit, 'roots-here')).toContain('orders');
        const env = outputOf(commit, 'env');
        expect(env).toContain(`RDS_PROVISIONER_COMMIT=${commit}\n`);
        expect(env).toContain(`RDS_PROVISIONER_URL=${server.url}\n`);
        expect(env).toContain('RDS_PROVISIONER_ROOTS=terraform/live/dev/orders\n');
        expect(env).toContain('RDS_PROVISIONER_DESTROY_ROOTS=\n');
        // Neither token reaches the command, by name or by value.
        expect(env).not.toContain(server.token);
        expect(env).not.toContain(server.pipelineToken);
        expect(env).not.toMatch(/^RDS_PROVISIONER_(API|PIPELINE)_TOKEN=/m);
        expect(existsSync(outputOf(commit, 'cwd').trim())).toBe(true);
        // Reported started before the command ran: the request is applying while it runs.
        expect((await status(id)).json.status).toBe('applying');
      } finally {
        writeFileSync(join(dir, 'gate'), '');
      }
      const cwd = outputOf(commit, 'cwd').trim();
      expect(cwd.startsWith(server.repo)).toBe(false);
      const ready = await until(id, 'ready');
      expect(ready.json.merge_commit).toBe(commit);
      expect(ready.json.connection).toMatchObject({
        writer_endpoint: 'orders.cluster-btheikrm3rbp.eu-west-1.rds.amazonaws.com',
        commit,
        request_id: id,
      });
      // The checkout is gone once the command is done.
      await waitFor(
        async () => existsSync(cwd),
        (present) => !present,
      );
    },
    TEST_TIMEOUT,
  );

  it.each([
    [
      'fails: the reason from its standard error',
      'broken',
      'InvalidParameterCombination: The engine version is not available',
    ],
    [
      'prints what is not a state: why it was refused',
      'garbled',
      'exited 0, but its standard output is not JSON',
    ],
  ])(
    'ends apply_failed when the command %s',
    async (_, dbName, reason) => {
      const { id, number } = await openRequest(dbName);
      await merge(number);
      const failed = await until(id, 'apply_failed');
      expect(failed.json.failure_reason).toContain(reason);
    },
    TEST_TIMEOUT,
  );

  it(
    'runs one command at a time, in merge order, for merges made at once',
    async () => {
      const requests = await Promise.all(
        ['first-of-three', 'second-of-three', 'third-of-three'].map(openRequest),
      );
      // Merged at once: the host serialises them; the commands run in the order the base received them.
      const commits = await Promise.all(requests.map((r) => merge(r.number)));
      for (const { id } of requests) await until(id, 'ready');
      const mergeOrder = execFileSync(
        'git',
        ['--git-dir', server.repo, 'rev-list', '--first-parent', '--reverse', '-n', '3', 'main'],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');
      expect([...mergeOrder].sort()).toEqual([...commits].sort());
      const order = readFileSync(join(dir, 'order'), 'utf8').trim().split('\n');
      expect(order.slice(-3)).toEqual(mergeOrder);
      // No command found another running (it would have exited 3, and its request would be apply_failed).
    },
    TEST_TIMEOUT,
  );

  it('logs what each command did without its output', () => {
    const lines = server.output.filter((line) => line.includes('after-merge'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('InvalidParameterCombination');
    expect(lines.join('\n')).not.toContain('btheikrm3rbp');
  });
});

/** A server whose --after-merge command is `script`, with AFTER_MERGE_DIR its own scratch directory. */
async function startWithCommand(script: string, args: string[] = []) {
  const dir = tempDir('after-merge');
  const file = join(dir, 'command.sh');
  writeFileSync(file, script, { mode: 0o755 });
  const server = await startServer({
    args: ['--after-merge', `sh '${file}'`, ...args],
    env: { AFTER_MERGE_DIR: dir, STATE_FIXTURE },
  });
  return { server, call: api(server), dir };
}

async function stopCleanly(server: RunningServer) {
  expect(await server.stop()).toBe(0);
}

function untilOn(call: ReturnType<typeof api>, id: string, wanted: string) {
  return waitFor(
    () => call('GET', `/requests/${id}`),
    (r) => r.json?.status === wanted,
    60_000,
  );
}

async function openRequestOn(call: ReturnType<typeof api>, dbName: string) {
  const accepted = await call('POST', '/provision', {
    db_name: dbName,
    engine: 'postgres',
    environment: 'dev',
  });
  expect(accepted.status, accepted.text).toBe(202);
  const id = accepted.json.request_id as string;
  const open = await untilOn(call, id, 'pr_open');
  return { id, number: open.json.pull_request.number as number };
}

async function mergeOn(call: ReturnType<typeof api>, number: number): Promise<string> {
  const merged = await call('POST', `/pulls/${number}/merge`);
  expect(merged.status, merged.text).toBe(200);
  return merged.json.merge_commit as string;
}

describe('serve --after-merge-timeout', () => {
  let server: RunningServer;
  let call: ReturnType<typeof api>;
  let dir: string;

  beforeAll(async () => {
    // A wrapper that starts a child and waits for it: the child must be stopped too.
    const hang = 'sleep 300 &\necho $! > "$AFTER_MERGE_DIR/child-pid"\nwait\n';
    ({ server, call, dir } = await startWithCommand(hang, ['--after-merge-timeout', '1']));
  });
  afterAll(() => server && stopCleanly(server));

  it(
    'stops a command that passes its timeout, with its children, and records apply_failed',
    async () => {
      const { id, number } = await openRequestOn(call, 'hangs');
      await mergeOn(call, number);
      const failed = await untilOn(call, id, 'apply_failed');
      expect(failed.json.failure_reason).toContain(
        'the after-merge command timed out after 1 s and was stopped',
      );
      const child = Number(readFileSync(join(dir, 'child-pid'), 'utf8'));
      expect(child).toBeGreaterThan(0);
      await waitFor(
        async () => processAlive(child),
        (running) => !running,
      );
    },
    TEST_TIMEOUT,
  );
});

describe('serve --after-merge: a command still running when the server stops', () => {
  it(
    'keeps serving while it runs, then stops it with what it started, and records apply_failed',
    async () => {
      const hang = 'sleep 300 &\necho $! > "$AFTER_MERGE_DIR/child-pid"\nwait\n';
      const { server, call, dir } = await startWithCommand(hang);
      const { id, number } = await openRequestOn(call, 'interrupted');
      await mergeOn(call, number);
      const pidFile = join(dir, 'child-pid');
      await waitFor(
        async () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '',
        (ready) => ready,
      );
      // The API answers while the command runs.
      const started = Date.now();
      expect((await call('GET', `/requests/${id}`)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5_000);

      await stopCleanly(server);
      const child = Number(readFileSync(pidFile, 'utf8'));
      await waitFor(
        async () => processAlive(child),
        (running) => !running,
      );
      const again = await startServer({ dataDir: server.dataDir, token: server.token });
      try {
        const record = (await api(again)('GET', `/requests/${id}`)).json;
        expect(record.status).toBe('apply_failed');
        expect(record.failure_reason).toContain(
          'the after-merge command was stopped: the server shut down while it ran',
        );
      } finally {
        await stopCleanly(again);
      }
    },
    TEST_TIMEOUT,
  );
});

describe('serve --after-merge: bad input', () => {
  it.each([
    [['--after-merge', ''], '--after-merge: must be a command'],
    [
      ['--after-merge', 'true', '--github', 'acme/infra'],
      '--after-merge: runs after a merge of the local git repository',
    ],
    [
      ['--after-merge', 'true', '--after-merge-timeout', '0'],
      '--after-merge-timeout: must be a whole number from 1 to 86400',
    ],
    [['--after-merge-timeout', '60'], '--after-merge-timeout: only with --after-merge'],
  ])('serve %j exits 2 naming the option, and starts nothing', async (args, message) => {
    const dataDir = tempDir('after-merge-bad');
    const run = await runCli(['serve', '--port', '0', '--data-dir', dataDir, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    // Nothing was created: no database, no repository, no token.
    expect(existsSync(join(dataDir, 'rds-provisioner.db'))).toBe(false);
    expect(existsSync(join(dataDir, 'pipeline-token'))).toBe(false);
  });
});
