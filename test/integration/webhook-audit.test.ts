/**
 * Merges and closes done on GitHub reach the audit trail through the webhook: as `github:LOGIN` (who
 * merged it, else who sent the event), once per pull request, however often GitHub redelivers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteAuditLog } from '../../src/adapters/local/sqlite-audit-log.js';
import { SqliteIntake } from '../../src/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../../src/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../../src/adapters/local/sqlite-status-store.js';
import { newRequestId, silentLogger, systemClock } from '../../src/adapters/system.js';
import { createApp } from '../../src/app/http/app.js';
import { queuedRecord } from '../../src/domain/status.js';
import type { AuditLog, GitHost } from '../../src/ports.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';

const SECRET = 'webhook-secret-for-tests';
const REPOSITORY = 'acme/infra';
const BRANCH = 'feature/provision-rds-orders';
const policy = loadPolicyFile();

describe('GitHub merges and closes in the audit trail', () => {
  let app: ReturnType<typeof createApp>;
  let audit: AuditLog;
  let requestId: string;

  beforeEach(async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'rdsp-webhook-audit-')), 'db.sqlite'));
    const store = new SqliteStatusStore(db);
    const intake = new SqliteIntake(store, new SqliteQueue(db));
    audit = new SqliteAuditLog(db);
    app = createApp({
      ctx: {
        policy,
        conventions: policy.policy.git,
        store,
        intake,
        git: {} as GitHost,
        clock: systemClock,
        logger: silentLogger,
        newRequestId: () => newRequestId(),
        audit,
      },
      auth: { authenticate: async () => ({ ok: false, reason: 'no credential' }) },
      webhook: { repository: REPOSITORY, secret: SECRET },
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
      pullRequest: { number: 7, url: 'https://github.example/pull/7', branch: BRANCH },
    });
  });

  const closed = (merged: boolean, people: { mergedBy?: unknown; sender?: unknown }) => ({
    action: 'closed',
    number: 7,
    repository: { full_name: REPOSITORY },
    ...(people.sender === undefined ? {} : { sender: { login: people.sender } }),
    pull_request: {
      number: 7,
      merged,
      merged_by: people.mergedBy === undefined ? null : { login: people.mergedBy },
      body: `text\n<!-- rds-provisioner request-id: ${requestId} -->\n`,
      head: { ref: BRANCH, repo: { full_name: REPOSITORY } },
      base: { ref: 'main', repo: { full_name: REPOSITORY } },
    },
  });

  const deliver = async (payload: unknown) => {
    const body = JSON.stringify(payload);
    const response = await app.request('/webhooks/github', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-hub-signature-256': await sign(SECRET, body),
      },
      body,
    });
    return {
      status: response.status,
      json: (await response.json()) as { outcome: string; request_id: string },
    };
  };

  const entries = async () => (await audit.list({ limit: 100 })).entries;

  it('records a merge once as github:LOGIN of whoever merged it; a redelivery adds nothing', async () => {
    const merged = closed(true, { mergedBy: 'octocat', sender: 'someone-else' });
    expect((await deliver(merged)).json).toEqual({ outcome: 'applied', request_id: requestId });
    expect((await deliver(merged)).json).toEqual({ outcome: 'unchanged', request_id: requestId });
    expect(await entries()).toEqual([
      {
        id: expect.any(String),
        at: expect.any(String),
        actor: 'github:octocat',
        role: null,
        action: 'pull.merge',
        outcome: 'allowed',
        target: 'pull:7',
        environment: 'dev',
        detail: `pull request #7 merged on the host, request ${requestId}`,
      },
    ]);
  });

  it('records a close as the sender; a login GitHub would not give is github:(unknown), never its text', async () => {
    expect((await deliver(closed(false, { sender: 'hubot[bot]' }))).json.outcome).toBe('applied');
    expect((await entries()).map((e) => [e.actor, e.action])).toEqual([['github:hubot[bot]', 'pull.close']]);
  });

  it('an odd login does not refuse the event: the merge is recorded as github:(unknown)', async () => {
    const odd = closed(true, { mergedBy: `evil\n${'x'.repeat(500)}`, sender: 42 });
    expect((await deliver(odd)).json.outcome).toBe('applied');
    expect((await entries()).map((e) => e.actor)).toEqual(['github:(unknown)']);
  });
});
