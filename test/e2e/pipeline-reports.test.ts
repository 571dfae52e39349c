import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_COMMENT_MARKER } from '../../src/render/plan-comment.js';
import { api, type RunningServer, startServer, waitFor } from '../support/server.js';
import { auroraState, emptyState, planDocument } from '../support/terraform-documents.js';

/** The way back from CI on the local runtime: plan on the pull request, apply → ready, drift. */
describe('pipeline reports on the local runtime', () => {
  let server: RunningServer;
  let call: ReturnType<typeof api>;
  let pipeline: ReturnType<typeof api>;

  beforeAll(async () => {
    server = await startServer();
    call = api(server);
    pipeline = api({ url: server.url, token: server.pipelineToken });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  const headOf = (branch: string) =>
    execFileSync('git', ['--git-dir', server.repo, 'rev-parse', `refs/heads/${branch}`], {
      encoding: 'utf8',
    }).trim();
  const status = (id: string) => call('GET', `/requests/${id}`);

  async function openRequest(body: object) {
    const accepted = await call('POST', '/provision', body);
    expect(accepted.status).toBe(202);
    const id = accepted.json.request_id as string;
    const open = await waitFor(
      () => status(id),
      (r) => r.json?.status === 'pr_open',
    );
    const { number, branch } = open.json.pull_request as { number: number; branch: string };
    return { id, number, branch, commit: headOf(branch) };
  }

  async function merge(id: string, number: number) {
    expect((await call('POST', `/pulls/${number}/merge`)).status).toBe(200);
    const merged = await waitFor(
      () => status(id),
      (r) => r.json?.status === 'merged',
    );
    return merged.json.merge_commit as string;
  }

  const clusterCreate = (db: string) =>
    ['aws_rds_cluster', 'aws_rds_cluster_instance', 'aws_db_parameter_group'].map((type) => ({
      db,
      type,
      name: 'this',
      actions: ['create' as const],
      after: { identifier: db },
    }));

  it('shows the plan on the pull request as one comment, edited in place, and refuses what is not the latest', async () => {
    const { id, number, branch, commit } = await openRequest({
      db_name: 'orders',
      engine: 'postgres',
      environment: 'dev',
    });
    const plan = planDocument({ changes: clusterCreate('orders') });
    const body = { branch, pull_request: number, commit, plan };

    const first = await pipeline('POST', '/reports/plan', body);
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({
      request_id: id,
      changed: true,
      plan: {
        commit,
        pull_request: number,
        unexpected: false,
        databases: [{ db_name: 'orders', add: 3, change: 0, destroy: 0, replace: 0, unexpected: false }],
      },
    });
    const comments = (await call('GET', `/pulls/${number}`)).json.comments as Array<{ body: string }>;
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain(PLAN_COMMENT_MARKER);
    expect(comments[0]?.body).toContain('| `orders` | 3 | 0 | 0 | 0 |');
    expect((await status(id)).json.plan).toMatchObject({
      commit,
      databases: [{ db_name: 'orders', add: 3 }],
    });

    // The same report again: a replay, nothing changes.
    const history = (await status(id)).json.history.length;
    const replay = await pipeline('POST', '/reports/plan', body);
    expect(replay.status).toBe(200);
    expect(replay.json.changed).toBe(false);
    expect((await status(id)).json.history).toHaveLength(history);

    // A newer plan (one that destroys the cluster) edits the same comment, loudly.
    const destroying = planDocument({
      changes: [
        { db: 'orders', type: 'aws_rds_cluster', name: 'this', actions: ['delete', 'create'], after: {} },
        { db: 'orders', type: 'aws_db_parameter_group', name: 'this', actions: ['delete'] },
      ],
    });
    const second = await pipeline('POST', '/reports/plan', { ...body, plan: destroying });
    expect(second.status, second.text).toBe(200);
    expect(second.json.plan).toMatchObject({
      unexpected: true,
      databases: [
        {
          db_name: 'orders',
          replace: 1,
          destroy: 1,
          database_destroyed: true,
          unexpected: true,
          replaced: ['module.orders.aws_rds_cluster.this'],
          destroyed: ['module.orders.aws_db_parameter_group.this'],
        },
      ],
    });
    const edited = (await call('GET', `/pulls/${number}`)).json.comments as Array<{ body: string }>;
    expect(edited).toHaveLength(1);
    expect(edited[0]?.body).toContain('[!CAUTION]');
    expect(edited[0]?.body).toContain(
      'replaced (destroyed and created again): `module.orders.aws_rds_cluster.this`',
    );

    // Not the branch's head: stale. Another pull request number: not this request's. Another branch: none.
    const before = (await status(id)).json;
    const stale = await pipeline('POST', '/reports/plan', { ...body, commit: 'f'.repeat(40) });
    expect(stale.status).toBe(409);
    expect(stale.json.message).toContain('stale');
    const otherPr = await pipeline('POST', '/reports/plan', { ...body, pull_request: number + 7 });
    expect(otherPr.status).toBe(409);
    const unknown = await pipeline('POST', '/reports/plan', {
      ...body,
      branch: 'feature/provision-rds-nobody',
    });
    expect(unknown.status).toBe(404);
    expect((await status(id)).json).toEqual(before);
  });

  it('refuses a report carrying a sensitive value, naming its address, and malformed JSON', async () => {
    const { id, number, branch, commit } = await openRequest({
      db_name: 'ledger',
      engine: 'mysql',
      environment: 'dev',
    });
    const leaky = planDocument({
      changes: [
        {
          db: 'ledger',
          type: 'aws_rds_cluster',
          name: 'this',
          actions: ['update'],
          before: { master_password: null },
          after: { master_password: 'hunter2-very-secret' },
          afterSensitive: { master_password: true },
        },
      ],
    });
    const answer = await pipeline('POST', '/reports/plan', {
      branch,
      pull_request: number,
      commit,
      plan: leaky,
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('invalid_request');
    expect(answer.json.issues.map((i: { path: string }) => i.path)).toContain(
      'module.ledger.aws_rds_cluster.this.master_password',
    );
    expect(answer.text).not.toContain('hunter2');
    const malformed = await pipeline('POST', '/reports/plan', '{"branch": ');
    expect(malformed.status).toBe(400);
    expect(malformed.json.issues[0].path).toBe('(body)');
    const wrongFormat = await pipeline('POST', '/reports/plan', {
      branch,
      pull_request: number,
      commit,
      plan: { ...planDocument({ changes: [] }), format_version: '2.0' },
    });
    expect(wrongFormat.status).toBe(400);
    expect(wrongFormat.json.issues.map((i: { path: string }) => i.path)).toContain('plan.format_version');
    expect((await status(id)).json.plan).toBeNull();
  });

  it('moves a merged request to applying, then ready with its connection details, and ignores replays', async () => {
    const { id, number } = await openRequest({ db_name: 'payments', engine: 'postgres', environment: 'dev' });
    const commit = await merge(id, number);
    expect(commit).toMatch(/^[0-9a-f]{40}$/);

    const plan = planDocument({ changes: clusterCreate('payments') });
    const started = await pipeline('POST', '/reports/apply', { commit, outcome: 'started', plan });
    expect(started.status, started.text).toBe(200);
    expect(started.json.requests).toEqual([
      { request_id: id, db_name: 'payments', status: 'applying', changed: true },
    ]);

    const state = auroraState('payments');
    const done = await pipeline('POST', '/reports/apply', { commit, outcome: 'succeeded', state });
    expect(done.status, done.text).toBe(200);
    expect(done.json.requests[0]).toMatchObject({ status: 'ready', changed: true });
    const ready = (await status(id)).json;
    expect(ready.status).toBe('ready');
    expect(ready.connection).toMatchObject({
      writer_endpoint: 'payments.cluster-abc.eu-west-1.rds.amazonaws.com',
      reader_endpoint: 'payments.cluster-ro-abc.eu-west-1.rds.amazonaws.com',
      port: 5432,
      master_user_secret_arn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-1-AbCdEf',
      password_command:
        'aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-1-AbCdEf --region eu-west-1 --query SecretString --output text',
      commit,
      request_id: id,
    });
    const database = (await call('GET', '/databases/payments')).json;
    expect(database.connection.writer_endpoint).toBe('payments.cluster-abc.eu-west-1.rds.amazonaws.com');

    // Replayed and late reports change nothing.
    const again = await pipeline('POST', '/reports/apply', { commit, outcome: 'succeeded', state });
    expect(again.json.requests[0]).toMatchObject({ status: 'ready', changed: false });
    const late = await pipeline('POST', '/reports/apply', { commit, outcome: 'started', plan });
    expect(late.json.requests[0]).toMatchObject({ status: 'ready', changed: false });

    // A commit nothing merged as.
    const unknown = await pipeline('POST', '/reports/apply', {
      commit: 'e'.repeat(40),
      outcome: 'succeeded',
      state,
    });
    expect(unknown.status).toBe(404);
  });

  it('records a failed apply with the reason from Terraform, secrets removed, and a later success', async () => {
    const { id, number } = await openRequest({ db_name: 'billing', engine: 'mysql', environment: 'dev' });
    const commit = await merge(id, number);
    const log = [
      JSON.stringify({ '@level': 'info', '@message': 'Apply started', type: 'apply_start' }),
      JSON.stringify({
        '@level': 'error',
        '@message': 'Error: creating RDS Cluster',
        type: 'diagnostic',
        diagnostic: {
          severity: 'error',
          summary: 'creating RDS Cluster (billing): InvalidParameterCombination',
          detail: 'password=SuperSecret123 is not allowed here',
          address: 'module.billing.aws_rds_cluster.this',
        },
      }),
    ].join('\n');
    const failed = await pipeline('POST', '/reports/apply', { commit, outcome: 'failed', log });
    expect(failed.status, failed.text).toBe(200);
    const record = (await status(id)).json;
    expect(record.status).toBe('apply_failed');
    expect(record.failure_reason).toContain('InvalidParameterCombination');
    expect(JSON.stringify(record)).not.toContain('SuperSecret123');

    const fixed = await pipeline('POST', '/reports/apply', {
      commit,
      outcome: 'succeeded',
      state: auroraState('billing'),
    });
    expect(fixed.json.requests[0]).toMatchObject({ status: 'ready', changed: true });
    expect((await status(id)).json.failure_reason).toBeNull();
  });

  it('leaves a request merged when no pipeline reports, and takes the next change at once', async () => {
    const { id, number } = await openRequest({ db_name: 'quiet', engine: 'postgres', environment: 'dev' });
    await merge(id, number);
    const change = await call('PATCH', '/databases/quiet', { size: 'medium' });
    expect(change.status).toBe(202);
    expect((await status(id)).json.status).toBe('merged');
  });

  it('keeps an older commit from overwriting a newer one', async () => {
    const create = await openRequest({ db_name: 'ordered', engine: 'postgres', environment: 'dev' });
    const createCommit = await merge(create.id, create.number);
    const changed = await call('PATCH', '/databases/ordered', { size: 'medium' });
    expect(changed.status).toBe(202);
    const changeId = changed.json.request_id as string;
    const open = await waitFor(
      () => status(changeId),
      (r) => r.json?.status === 'pr_open',
    );
    const changeCommit = await merge(changeId, open.json.pull_request.number);
    const newer = auroraState('ordered');
    expect(
      (await pipeline('POST', '/reports/apply', { commit: changeCommit, outcome: 'succeeded', state: newer }))
        .status,
    ).toBe(200);
    const old = await pipeline('POST', '/reports/apply', {
      commit: createCommit,
      outcome: 'succeeded',
      state: auroraState('ordered', 'us-east-1'),
    });
    expect(old.status).toBe(409);
    expect(old.json.message).toContain('stale');
    expect((await call('GET', '/databases/ordered')).json.connection).toMatchObject({
      commit: changeCommit,
      writer_endpoint: 'ordered.cluster-abc.eu-west-1.rds.amazonaws.com',
    });
    expect((await status(create.id)).json.status).toBe('merged');
  });

  it('marks a retirement ready once the state no longer has the database, and forgets its connection', async () => {
    const create = await openRequest({ db_name: 'gone', engine: 'postgres', environment: 'dev' });
    const createCommit = await merge(create.id, create.number);
    await pipeline('POST', '/reports/apply', {
      commit: createCommit,
      outcome: 'succeeded',
      state: auroraState('gone'),
    });
    expect((await status(create.id)).json.connection).not.toBeNull();

    const retire = await call('DELETE', '/databases/gone');
    expect(retire.status).toBe(202);
    const retireId = retire.json.request_id as string;
    const open = await waitFor(
      () => status(retireId),
      (r) => r.json?.status === 'pr_open',
    );
    const retireCommit = await merge(retireId, open.json.pull_request.number);
    const still = await pipeline('POST', '/reports/apply', {
      commit: retireCommit,
      outcome: 'succeeded',
      state: auroraState('gone'),
    });
    expect(still.json.requests[0]).toMatchObject({ status: 'apply_failed' });
    const done = await pipeline('POST', '/reports/apply', {
      commit: retireCommit,
      outcome: 'succeeded',
      state: emptyState(),
    });
    expect(done.json.requests[0]).toMatchObject({ request_id: retireId, status: 'ready', changed: true });
    expect((await status(create.id)).json.connection).toBeNull();
  });

  it('marks drift from resource_drift until a clean plan, and refuses an older plan or a commit not on the base', async () => {
    const { id, number } = await openRequest({ db_name: 'drifty', engine: 'postgres', environment: 'dev' });
    await merge(id, number);
    const commit = headOf('main');
    const drifted = planDocument({
      timestamp: '2026-12-06T02:00:00Z',
      changes: [
        {
          db: 'drifty',
          type: 'aws_rds_cluster',
          name: 'this',
          actions: ['update'],
          before: { backup_retention_period: 3 },
          after: { backup_retention_period: 1 },
        },
      ],
      drift: [
        {
          db: 'drifty',
          type: 'aws_rds_cluster',
          name: 'this',
          actions: ['update'],
          before: { backup_retention_period: 1, tags: { a: '1' } },
          after: { backup_retention_period: 3, tags: { a: '1' } },
        },
      ],
    });
    const first = await pipeline('POST', '/reports/drift', { branch: 'main', commit, plan: drifted });
    expect(first.status, first.text).toBe(200);
    expect(first.json.databases).toEqual([{ db_name: 'drifty', status: 'drifted', changed: true }]);
    const shown = (await call('GET', '/databases')).json.databases.find(
      (d: { db_name: string }) => d.db_name === 'drifty',
    );
    expect(shown.drift).toMatchObject({
      status: 'drifted',
      since: '2026-12-06T02:00:00Z',
      drifted: [{ address: 'module.drifty.aws_rds_cluster.this', attributes: ['backup_retention_period'] }],
    });

    const nextNight = { ...drifted, timestamp: '2026-12-07T02:00:00Z' };
    expect(
      (await pipeline('POST', '/reports/drift', { branch: 'main', commit, plan: nextNight })).status,
    ).toBe(200);
    expect((await call('GET', '/databases/drifty')).json.drift.since).toBe('2026-12-06T02:00:00Z');

    const older = { ...drifted, timestamp: '2026-12-01T02:00:00Z' };
    const stale = await pipeline('POST', '/reports/drift', { branch: 'main', commit, plan: older });
    expect(stale.status).toBe(409);
    const notOnBase = await pipeline('POST', '/reports/drift', {
      branch: 'main',
      commit: 'd'.repeat(40),
      plan: drifted,
    });
    expect(notOnBase.status).toBe(404);

    const clean = planDocument({
      timestamp: '2026-12-08T02:00:00Z',
      changes: [{ db: 'drifty', type: 'aws_rds_cluster', name: 'this', actions: ['no-op'] }],
    });
    const cleaned = await pipeline('POST', '/reports/drift', { branch: 'main', commit, plan: clean });
    expect(cleaned.json.databases).toEqual([{ db_name: 'drifty', status: 'clean', changed: true }]);
    expect((await call('GET', '/databases/drifty')).json.drift).toMatchObject({
      status: 'clean',
      since: null,
    });
  });
});
