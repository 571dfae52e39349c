/**
 * Merge and close of the same local pull request at once, over HTTP against the real server: exactly one
 * wins, and the file is on main if and only if the request (and the pull request) is merged.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RunningServer, startServer, waitFor } from '../support/server.js';

const DATABASES = Array.from({ length: 15 }, (_, i) => `race-${i + 1}`);

function fileOnMain(repo: string, dbName: string): boolean {
  const listed = execFileSync(
    'git',
    ['-C', repo, 'ls-tree', '--name-only', 'main', `terraform/live/${dbName}.tf`],
    {
      encoding: 'utf8',
    },
  );
  return listed.trim() !== '';
}

describe('merge and close of one pull request at once', () => {
  let server: RunningServer;
  let call: ReturnType<typeof api>;

  beforeAll(async () => {
    server = await startServer();
    call = api(server);
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it('one of the two wins for each of 15 pull requests; the file is on main iff the request is merged', async () => {
    const requests = await Promise.all(
      DATABASES.map(async (db_name) => {
        const accepted = await call('POST', '/provision', {
          db_name,
          engine: 'postgres',
          environment: 'dev',
        });
        expect(accepted.status).toBe(202);
        return { db_name, id: accepted.json.request_id as string };
      }),
    );
    const open = await Promise.all(
      requests.map(async (r) => {
        const record = await waitFor(
          () => call('GET', `/requests/${r.id}`),
          (answer) => answer.json?.status === 'pr_open',
          60_000,
        );
        return { ...r, number: record.json.pull_request.number as number };
      }),
    );

    const answers = await Promise.all(
      open.map(async (r, i) => {
        const merging = () => call('POST', `/pulls/${r.number}/merge`);
        const closing = () => call('POST', `/pulls/${r.number}/close`);
        // Half of them with the close sent first.
        if (i % 2 === 0) {
          const [merge, close] = await Promise.all([merging(), closing()]);
          return { ...r, merge, close };
        }
        const [close, merge] = await Promise.all([closing(), merging()]);
        return { ...r, merge, close };
      }),
    );

    for (const r of answers) {
      const statuses = [r.merge.status, r.close.status].sort();
      expect(
        statuses,
        `${r.db_name}: merge ${r.merge.text}, close ${r.close.text}; server errors: ${server.output.filter((l) => l.includes('"level":"error"')).join('\n')}`,
      ).toEqual([200, 409]);
      const loser = r.merge.status === 409 ? r.merge : r.close;
      expect(loser.json).toMatchObject({ error: 'invalid_state' });
      expect(loser.json.message).toMatch(
        new RegExp(`pull request #${r.number} is (merged|closed|being merged)`),
      );

      const merged = r.merge.status === 200;
      const pull = await call('GET', `/pulls/${r.number}`);
      const request = await call('GET', `/requests/${r.id}`);
      expect(
        { pull: pull.json.state, request: request.json.status, onMain: fileOnMain(server.repo, r.db_name) },
        r.db_name,
      ).toEqual(
        merged
          ? { pull: 'merged', request: 'merged', onMain: true }
          : { pull: 'closed', request: 'closed', onMain: false },
      );
    }
  }, 120_000);
});
