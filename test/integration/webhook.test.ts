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
import { newRequestId, systemClock } from '../../src/adapters/system.js';
import type { AppContext } from '../../src/app/context.js';
import { createApp } from '../../src/app/http/app.js';
import { MAX_WEBHOOKS_AT_ONCE } from '../../src/app/http/webhooks.js';
import { queuedRecord } from '../../src/domain/status.js';
import type { GitHost, Logger } from '../../src/ports.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';

const SECRET = 'webhook-secret-for-tests';
const REPOSITORY = 'acme/infra';
const BRANCH = 'feature/provision-rds-orders';
const MiB = 1024 * 1024;
const policy = loadPolicyFile();

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** A closed pull_request delivery as GitHub sends it (only the fields that matter here). */
const pullRequestClosed = (
  requestId: string,
  options: {
    merged?: boolean;
    number?: number;
    body?: string;
    repository?: string;
    headRepository?: string | null;
    head?: string;
    base?: string;
  } = {},
) => {
  const number = options.number ?? 7;
  return {
    action: 'closed',
    number,
    repository: { full_name: options.repository ?? REPOSITORY },
    pull_request: {
      number,
      merged: options.merged ?? true,
      body: options.body ?? `text\n<!-- rds-provisioner request-id: ${requestId} -->\n`,
      head: {
        ref: options.head ?? BRANCH,
        repo: options.headRepository === null ? null : { full_name: options.headRepository ?? REPOSITORY },
      },
      base: { ref: options.base ?? 'main', repo: { full_name: REPOSITORY } },
    },
  };
};

const checkRun = (options: { id?: number; branch?: string; repository?: string } = {}) => ({
  action: 'completed',
  repository: { full_name: options.repository ?? REPOSITORY },
  check_run: {
    id: options.id ?? 42,
    name: 'terraform plan',
    status: 'completed',
    conclusion: 'success',
    check_suite: { head_branch: options.branch ?? BRANCH },
  },
});

const commitStatus = (options: { branch?: string; repository?: string } = {}) => ({
  id: 9,
  state: 'failure',
  context: 'ci/circleci: plan',
  repository: { full_name: options.repository ?? REPOSITORY },
  branches: [{ name: options.branch ?? BRANCH }],
});

/** A body that is read only when someone pulls it; `pulled` says how many bytes were. */
function countingStream(total: number, piece: Uint8Array = new Uint8Array(64 * 1024).fill(0x20)) {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled >= total) return controller.close();
        const chunk = piece.subarray(0, Math.min(piece.length, total - pulled));
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}

describe('POST /webhooks/github', () => {
  let store: SqliteStatusStore;
  let intake: SqliteIntake;
  let app: ReturnType<typeof createApp>;
  let requestId: string;
  let logs: LogLine[];

  beforeEach(async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'rdsp-webhook-')), 'db.sqlite'));
    store = new SqliteStatusStore(db);
    intake = new SqliteIntake(store, new SqliteQueue(db));
    logs = [];
    const log =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}) =>
        logs.push({ level, message, fields });
    const logger: Logger = { info: log('info'), warn: log('warn'), error: log('error') };
    const ctx: AppContext = {
      policy,
      conventions: policy.policy.git,
      store,
      intake,
      git: {} as GitHost,
      clock: systemClock,
      logger,
      newRequestId: () => newRequestId(),
      audit: new SqliteAuditLog(db),
    };
    app = createApp({
      ctx,
      auth: { authenticate: async () => ({ ok: false, reason: 'no credential' }) },
      webhook: { repository: REPOSITORY, secret: SECRET },
    });
    requestId = await submit('orders');
    await store.transition(requestId, 'pr_open', {
      at: new Date(),
      pullRequest: { number: 7, url: 'https://github.example/pull/7', branch: BRANCH },
    });
  });

  const submit = async (dbName: string) => {
    const id = newRequestId();
    await intake.submit(
      queuedRecord(id, { db_name: dbName, engine: 'mysql', environment: 'dev' }, 'alice', new Date()),
    );
    return id;
  };

  const deliverRaw = async (event: string, body: string, signature?: string | null) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': event };
    const sig = signature === undefined ? await sign(SECRET, body) : signature;
    if (sig !== null) headers['x-hub-signature-256'] = sig;
    const response = await app.request('/webhooks/github', { method: 'POST', headers, body });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely and assert on every field they use
    const json: any = text ? JSON.parse(text) : null;
    return { status: response.status, json };
  };
  const deliver = (event: string, payload: unknown, signature?: string | null) =>
    deliverRaw(event, JSON.stringify(payload), signature);
  const closed = (merged: boolean, body?: string) =>
    pullRequestClosed(requestId, { merged, ...(body === undefined ? {} : { body }) });

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
    expect((await deliver('check_run', checkRun())).status).toBe(200);
    expect((await deliver('check_run', checkRun())).status).toBe(204);
    expect((await deliver('status', commitStatus())).status).toBe(200);
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
    expect((await deliver('check_run', checkRun({ id: 1, branch: 'main' }))).status).toBe(204);
    expect((await store.get(requestId))?.status).toBe('pr_open');
  });

  describe('body limits (issue 10, item 1)', () => {
    it('answers 401 to a missing or malformed X-Hub-Signature-256 before reading any of the body', async () => {
      for (const signature of [null, 'sha256=00', `sha1=${'a'.repeat(40)}`, `sha256=${'g'.repeat(64)}`, '']) {
        const body = countingStream(8 * MiB);
        const headers: Record<string, string> = { 'x-github-event': 'pull_request' };
        if (signature !== null) headers['x-hub-signature-256'] = signature;
        const response = await app.request('/webhooks/github', {
          method: 'POST',
          headers,
          body: body.stream,
          duplex: 'half',
        } as RequestInit);
        expect(response.status, `signature ${JSON.stringify(signature)}`).toBe(401);
        expect(await response.json()).toEqual({
          error: 'unauthorized',
          message: 'missing or invalid X-Hub-Signature-256',
        });
        expect(body.pulled(), `signature ${JSON.stringify(signature)}`).toBe(0);
      }
    });

    it('answers 413 to a signed body over 1 MiB, with Content-Length or chunked, and changes nothing', async () => {
      const payload = JSON.stringify(
        closed(true, `<!-- rds-provisioner request-id: ${requestId} -->\n${'x'.repeat(MiB)}`),
      );
      const headers = {
        'x-github-event': 'pull_request',
        'x-hub-signature-256': await sign(SECRET, payload),
      };
      const bytes = new TextEncoder().encode(payload);
      const withLength = await app.request('/webhooks/github', {
        method: 'POST',
        headers: { ...headers, 'content-length': String(bytes.length) },
        body: bytes,
      });
      const chunked = countingStream(bytes.length, bytes);
      const withoutLength = await app.request('/webhooks/github', {
        method: 'POST',
        headers,
        body: chunked.stream,
        duplex: 'half',
      } as RequestInit);
      for (const response of [withLength, withoutLength]) {
        expect(response.status).toBe(413);
        expect(await response.json()).toEqual({
          error: 'payload_too_large',
          message: 'the body must be at most 1048576 bytes',
        });
      }
      // The chunked body was read only up to the limit.
      expect(chunked.pulled()).toBeLessThanOrEqual(MiB + 64 * 1024);
      expect((await store.get(requestId))?.status).toBe('pr_open');
    });

    it('accepts a pull request whose body is the largest GitHub allows (65,536 characters, each escaped)', async () => {
      const body = `<!-- rds-provisioner request-id: ${requestId} -->\n${'\u0001'.repeat(65_536)}`;
      const payload = JSON.stringify(closed(true, body));
      expect(payload.length).toBeGreaterThan(390_000);
      expect((await deliverRaw('pull_request', payload)).status).toBe(200);
      expect((await store.get(requestId))?.status).toBe('merged');
    });
  });

  describe('deliveries read at once (issue 10, item 1: memory bounded in total)', () => {
    it(`reads at most ${MAX_WEBHOOKS_AT_ONCE} bodies at once; one more is answered 503 at once, unread, and the gate reopens`, async () => {
      // Well-formed signatures that no secret produced: each holds its connection until its body ends.
      const held = Array.from({ length: MAX_WEBHOOKS_AT_ONCE }, () => {
        let finish: () => void = () => {};
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array(1024).fill(0x20));
            finish = () => controller.close();
          },
        });
        const answer = app.request('/webhooks/github', {
          method: 'POST',
          headers: { 'x-github-event': 'pull_request', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
          body,
          duplex: 'half',
        } as RequestInit);
        return { answer, finish: () => finish() };
      });
      const extra = countingStream(8 * MiB);
      const refused = await app.request('/webhooks/github', {
        method: 'POST',
        headers: { 'x-github-event': 'pull_request', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
        body: extra.stream,
        duplex: 'half',
      } as RequestInit);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toEqual({
        error: 'unavailable',
        message: 'too many webhook deliveries at once; try again',
      });
      expect(extra.pulled()).toBeLessThanOrEqual(64 * 1024);

      for (const h of held) h.finish();
      for (const h of held) expect((await h.answer).status).toBe(401);
      // All answered: the next delivery is read again.
      expect((await deliver('pull_request', closed(true))).status).toBe(200);
      expect((await store.get(requestId))?.status).toBe('merged');
    });
  });

  describe('only events about the request change it (issue 10, item 2)', () => {
    const ignoredWith = (reason: RegExp) =>
      expect(logs.filter((l) => l.message === 'webhook ignored').map((l) => l.fields.reason)).toContainEqual(
        expect.stringMatching(reason),
      );

    it('ignores a signed pull_request event from another repository that copies the marker', async () => {
      const before = await store.get(requestId);
      const forged = pullRequestClosed(requestId, {
        merged: false,
        number: 4242,
        repository: 'someone-else/unrelated',
        headRepository: 'someone-else/unrelated',
      });
      expect(await deliver('pull_request', forged)).toEqual({ status: 204, json: null });
      expect(await store.get(requestId)).toEqual(before);
      expect(await store.inFlight('orders')).toBe(requestId);
      ignoredWith(/repository/);
    });

    it.each([
      ['a fork of the repository', { headRepository: 'mallory/infra' }, /fork/],
      ['a deleted fork', { headRepository: null }, /fork/],
      ['another pull request number', { number: 8 }, /#8/],
      ['another head branch', { head: 'feature/provision-rds-billing' }, /branch/],
      ['another base branch', { base: 'develop' }, /base/],
    ] as const)(
      'ignores a signed pull_request event from %s: 204, nothing changed, the reason logged',
      async (_name, options, reason) => {
        const before = await store.get(requestId);
        expect(await deliver('pull_request', pullRequestClosed(requestId, options))).toEqual({
          status: 204,
          json: null,
        });
        expect(await store.get(requestId)).toEqual(before);
        ignoredWith(reason);
        // The log line says why without the body or the secret.
        expect(JSON.stringify(logs)).not.toContain(SECRET);
        expect(JSON.stringify(logs)).not.toContain('rds-provisioner request-id');
      },
    );

    it('compares repository names case-insensitively, as GitHub does', async () => {
      const event = pullRequestClosed(requestId, { repository: 'ACME/Infra', headRepository: 'Acme/INFRA' });
      expect((await deliver('pull_request', event)).json?.outcome).toBe('applied');
    });

    it('settles a request merged before its pull request was recorded, by repository and branch', async () => {
      const early = await submit('billing');
      const event = pullRequestClosed(early, { number: 12, head: 'feature/provision-rds-billing' });
      expect((await deliver('pull_request', event)).json).toEqual({
        outcome: 'applied',
        request_id: early,
      });
      expect((await store.get(early))?.status).toBe('merged');
    });

    it('ignores check runs and commit statuses from another repository', async () => {
      const before = await store.get(requestId);
      expect((await deliver('check_run', checkRun({ repository: 'someone-else/unrelated' }))).status).toBe(
        204,
      );
      expect((await deliver('status', commitStatus({ repository: 'someone-else/unrelated' }))).status).toBe(
        204,
      );
      expect(await store.get(requestId)).toEqual(before);
      ignoredWith(/repository/);
    });
  });

  describe('odd payloads (issue 10, item 6)', () => {
    const pr = (override: Record<string, unknown>) => ({ ...closed(true), ...override });
    const prField = (override: Record<string, unknown>) => {
      const event = closed(true);
      return { ...event, pull_request: { ...event.pull_request, ...override } };
    };
    const run = (override: Record<string, unknown>) => {
      const event = checkRun();
      return { ...event, check_run: { ...event.check_run, ...override } };
    };
    const bodies: [string, string][] = [
      ['null', 'null'],
      ['[]', '[]'],
      ['"x"', '"x"'],
      ['a number', '42'],
      ['{"state":"x","branches":"abc"}', '{"state":"x","branches":"abc"}'],
      ['{"branches":[null]}', '{"branches":[null]}'],
      ['{"action":"closed"}', '{"action":"closed"}'],
      ['{"action":"closed","pull_request":null}', '{"action":"closed","pull_request":null}'],
      ['pull_request.number a string', JSON.stringify(prField({ number: '7' }))],
      ['pull_request.merged a string', JSON.stringify(prField({ merged: 'yes' }))],
      ['pull_request.body a number', JSON.stringify(prField({ body: 7 }))],
      ['pull_request.head null', JSON.stringify(prField({ head: null }))],
      ['pull_request.head.ref a number', JSON.stringify(prField({ head: { ref: 1, repo: null } }))],
      ['repository a string', JSON.stringify(pr({ repository: 'acme/infra' }))],
      ['action a number', JSON.stringify(pr({ action: 1 }))],
      ['check_run a string', JSON.stringify({ ...checkRun(), check_run: 'x' })],
      ['check_run.check_suite null', JSON.stringify(run({ check_suite: null }))],
      ['check_run.id a string', JSON.stringify(run({ id: '42' }))],
      ['check_run.conclusion a number', JSON.stringify(run({ conclusion: 1 }))],
      ['branches of strings', JSON.stringify({ ...commitStatus(), branches: [BRANCH] })],
      ['state a number', JSON.stringify({ ...commitStatus(), state: 1 })],
      ['not JSON', '{"action":'],
    ];

    it.each(
      ['pull_request', 'check_run', 'status'].flatMap((event) =>
        bodies.map(([name, body]) => [event, name, body] as const),
      ),
    )('%s with %s: 400 naming the field or 204, never 5xx, nothing changed', async (event, name, body) => {
      const before = await store.get(requestId);
      const answer = await deliverRaw(event, body);
      // A check run's body sent as pull_request is a pull request event whose action is not "closed":
      // well-formed as far as this service reads it, and nothing to do.
      expect(answer.status).toBe(event === 'pull_request' && name.startsWith('check_run') ? 204 : 400);
      if (answer.status === 400) {
        expect(answer.json.error).toBe('invalid_request');
        expect(answer.json.issues.length).toBeGreaterThan(0);
        for (const issue of answer.json.issues) {
          expect(typeof issue.path).toBe('string');
          expect(typeof issue.message).toBe('string');
        }
      }
      expect(await store.get(requestId)).toEqual(before);
      expect(logs.filter((l) => l.level === 'error')).toEqual([]);
    });

    it('names the bad field of a malformed closed pull_request', async () => {
      const answer = await deliver('pull_request', prField({ head: { ref: 1, repo: null } }));
      expect(answer.status).toBe(400);
      expect(answer.json.issues).toContainEqual({
        path: 'pull_request.head.ref',
        message: expect.any(String),
      });
    });
  });
});
