import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Api, ApiError } from '../../web/api.js';
import { type RunningServer, startServer, waitFor } from '../support/server.js';

/**
 * The page's client (web/api.ts, hc<AppType>) run in Node against the real built server: each call reaches
 * its route, and a path parameter that would name another route is refused before anything is sent.
 */
describe("the page's API client against the real server", () => {
  let server: RunningServer;
  let api: Api;
  beforeAll(async () => {
    server = await startServer();
    api = new Api({ base: `${server.url}/`, credential: () => ({ kind: 'bearer', token: server.token }) });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** What the call was refused with: the API's own 400 shape, naming the field. */
  const refusal = async (call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, issues: error.issues };
      throw error;
    }
    return 'sent and answered';
  };

  it('refuses "", "." and ".." as a request id or a database name, naming the field, before anything is sent', async () => {
    // Sent, they would become another route: '' drops the segment (GET /requests, GET /databases),
    // '.' and '..' are resolved away by the URL (GET /requests/, GET / the page itself).
    const sent = vi.spyOn(globalThis, 'fetch');
    for (const [value, message] of [
      ['', 'is empty'],
      ['.', 'is not a request id'],
      ['..', 'is not a request id'],
    ] as const) {
      expect([value, await refusal(() => api.get(value))]).toEqual([
        value,
        { status: 400, issues: [{ path: 'id', message }] },
      ]);
    }
    for (const [value, message] of [
      ['', 'is empty'],
      ['.', 'is not a database name'],
      ['..', 'is not a database name'],
    ] as const) {
      const expected = [value, { status: 400, issues: [{ path: 'db_name', message }] }];
      expect([value, await refusal(() => api.database(value))]).toEqual(expected);
      expect([value, await refusal(() => api.previewChange(value, { size: 'large' }))]).toEqual(expected);
      expect([value, await refusal(() => api.change(value, { size: 'large' }))]).toEqual(expected);
      expect([value, await refusal(() => api.previewRetire(value))]).toEqual(expected);
      expect([value, await refusal(() => api.retire(value))]).toEqual(expected);
    }
    expect(sent).not.toHaveBeenCalled();
    // Nothing was recorded.
    expect((await api.list({})).requests).toEqual([]);
  });

  it('sends an id holding "/", "?" or "%" as one segment: the server answers 404 for that id', async () => {
    for (const id of ['a/b', 'a?b=c', '100%', 'a/..']) {
      expect([id, await refusal(() => api.get(id))]).toEqual([id, { status: 404, issues: [] }]);
    }
  });

  it('reaches every route it calls: the form, a preview, a request followed to its pull request, the pull request closed', async () => {
    const form = await api.requestForm();
    expect(Object.keys(form.environments)).toContain(form.default_environment);
    const request = { db_name: 'typed-client', engine: 'postgres', environment: 'dev' };
    const preview = await api.preview(request);
    expect(preview).toMatchObject({ dry_run: true, file_path: expect.stringContaining('typed-client') });

    const accepted = await api.provision(request);
    expect(accepted.status).toBe('queued');
    const open = await waitFor(
      () => api.get(accepted.request_id),
      (view) => view.status === 'pr_open',
    );
    const number = open.pull_request?.number ?? 0;
    expect((await api.list({ status: 'pr_open' })).requests.map((r) => r.request_id)).toEqual([
      accepted.request_id,
    ]);

    const pull = await api.pull(number);
    expect(pull).toMatchObject({ number, state: 'open', request_id: accepted.request_id });
    expect(pull.diff).toContain('typed-client');
    expect(await api.pullAction(number, 'close')).toMatchObject({ number, state: 'closed' });
    expect((await api.get(accepted.request_id)).status).toBe('closed');
    // Never merged: not on the base branch.
    expect(await refusal(() => api.database('typed-client'))).toEqual({ status: 404, issues: [] });
  });
});
