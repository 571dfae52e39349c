import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteIntake } from '../../src/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../../src/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../../src/adapters/local/sqlite-status-store.js';
import { newRequestId, silentLogger, systemClock } from '../../src/adapters/system.js';
import type { AppContext } from '../../src/app/context.js';
import { createApp } from '../../src/app/http/app.js';
import { queuedRecord } from '../../src/domain/status.js';
import type { GitHost } from '../../src/ports.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';

const SECRET = 'webhook-secret-for-tests';
const policy = loadPolicyFile();

describe('POST /webhooks/github', () => {
  let store: SqliteStatusStore;
  let app: ReturnType<typeof createApp>;
  let requestId: string;

  beforeEach(async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'rdsp-webhook-')), 'db.sqlite'));
    store = new SqliteStatusStore(db);
    const intake = new SqliteIntake(store, new SqliteQueue(db));
    const ctx: AppContext = {
      policy,
      conventions: policy.policy.git,
      store,
      intake,
      git: {} as GitHost,
      clock: systemClock,
      logger: silentLogger,
      newRequestId: () => newRequestId(),
    };
    app = createApp({
      ctx,
      auth: { authenticate: async () => null },
      webhook: { repository: 'acme/infra', secret: SECRET },
    });
    requestId = newRequestId();
    await intake.submit(
      queuedRecord(
        requestId,
        { db_name: 'orders', engine: 'mysql', environment: 'dev' },
        'alice',
        new Date(),
      ),
    );
    await store.transition(requestId, 'pr_open', {
      at: new Date(),
      pullRequest: {
        number: 7,
        url: 'https://github.example/pull/7',
        branch: 'feature/provision-rds-orders',
      },
    });
  });

  const deliver = async (event: string, payload: unknown, signature?: string | null) => {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': event };
    const sig = signature === undefined ? await sign(SECRET, body) : signature;
    if (sig !== null) headers['x-hub-signature-256'] = sig;
    const response = await app.request('/webhooks/github', { method: 'POST', headers, body });
    const json =
      response.status === 204 ? null : ((await response.json()) as { outcome?: string; request_id?: string });
    return { status: response.status, json };
  };
  const closed = (merged: boolean, body = `text\n<!-- rds-provisioner request-id: ${requestId} -->\n`) => ({
    action: 'closed',
    pull_request: { number: 7, merged, body },
  });

  it('refuses a missing or bad signature and changes nothing', async () => {
    expect((await deliver('pull_request', closed(true), null)).status).toBe(401);
    expect((await deliver('pull_request', closed(true), 'sha256=00')).status).toBe(401);
    expect(
      (
        await deliver(
          'pull_request',
          closed(true),
          await sign('another-secret', JSON.stringify(closed(true))),
        )
      ).status,
    ).toBe(401);
    expect((await store.get(requestId))?.status).toBe('pr_open');
  });

  it('marks a merged pull request merged, and a replay changes nothing', async () => {
    expect(await deliver('pull_request', closed(true))).toEqual({
      status: 200,
      json: { outcome: 'applied', request_id: requestId },
    });
    const merged = await store.get(requestId);
    expect(merged?.status).toBe('merged');
    expect(await deliver('pull_request', closed(true))).toEqual({
      status: 200,
      json: { outcome: 'unchanged', request_id: requestId },
    });
    // A late "closed" cannot undo the merge.
    expect((await deliver('pull_request', closed(false))).json?.outcome).toBe('unchanged');
    expect((await store.get(requestId))?.history).toEqual(merged?.history);
  });

  it('marks a pull request closed without merging closed', async () => {
    expect((await deliver('pull_request', closed(false))).json?.outcome).toBe('applied');
    expect((await store.get(requestId))?.status).toBe('closed');
  });

  it('records check runs and commit statuses on the head in the history, once', async () => {
    const run = {
      action: 'completed',
      check_run: {
        id: 42,
        name: 'terraform plan',
        status: 'completed',
        conclusion: 'success',
        check_suite: { head_branch: 'feature/provision-rds-orders' },
      },
    };
    expect((await deliver('check_run', run)).status).toBe(200);
    expect((await deliver('check_run', run)).status).toBe(204);
    const status = {
      id: 9,
      state: 'failure',
      context: 'ci/circleci: plan',
      branches: [{ name: 'feature/provision-rds-orders' }],
    };
    expect((await deliver('status', status)).status).toBe(200);
    const details = (await store.get(requestId))?.history.map((h) => h.detail);
    expect(details?.filter((d) => d === 'check run "terraform plan" #42 completed: success')).toHaveLength(1);
    expect(details).toContain('commit status "ci/circleci: plan" #9 failure');
  });

  it('answers 204 for unknown events and pull requests it does not track', async () => {
    expect((await deliver('issues', { action: 'opened' })).status).toBe(204);
    expect((await deliver('pull_request', { action: 'opened', pull_request: { number: 7 } })).status).toBe(
      204,
    );
    expect((await deliver('pull_request', closed(true, "someone else's pull request"))).status).toBe(204);
    const other = {
      action: 'completed',
      check_run: {
        id: 1,
        name: 'x',
        status: 'completed',
        conclusion: 'success',
        check_suite: { head_branch: 'main' },
      },
    };
    expect((await deliver('check_run', other)).status).toBe(204);
    expect((await store.get(requestId))?.status).toBe('pr_open');
  });
});
