import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { type RunningServer, startServer } from '../support/server.js';

/** A request id as the user types it reaches GET /requests/{id} as that one path segment, whatever it holds. */
// Each test runs the built CLI several times, one process after another: slow on a loaded machine.
describe('status <id>: the id as one path segment', { timeout: 120_000 }, () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  const status = (id: string) =>
    runCli(['status', id], {
      env: { RDS_PROVISIONER_URL: server.url, RDS_PROVISIONER_API_TOKEN: server.token },
    });

  it('sends an id holding "/", "?", "#" or "%" encoded, so the server answers for that id', async () => {
    for (const id of ['a/b', 'a?b=c', 'a#b', '100%', 'a/..', '%2e%2e']) {
      expect([id, await status(id)]).toEqual([
        id,
        { code: 1, stdout: '', stderr: 'not found: no request with that id\n' },
      ]);
    }
  });

  it('refuses "", "." and "..", naming the id, before anything is sent: no URL holds them as a segment', async () => {
    // Sent, they would become GET /requests (the list) or GET / (the page), not this request.
    const cases: Array<[string, string]> = [
      ['', 'id: is empty\n'],
      ['.', 'id: is not a request id\n'],
      ['..', 'id: is not a request id\n'],
    ];
    for (const [id, stderr] of cases)
      expect([id, await status(id)]).toEqual([id, { code: 2, stdout: '', stderr }]);
  });
});
