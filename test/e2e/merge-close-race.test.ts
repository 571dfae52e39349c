/**
 * Merge and close of the same local pull request at once, over HTTP against the real server: exactly one
 * wins, and the file is on main if and only if the request (and the pull request) is merged.
 */
import { describe, expect, it } from 'vitest';
import { fileAt } from '../support/git-checks.js';
import { fileOf } from '../support/layouts.js';
import { serverPerSuite, waitFor } from '../support/server.js';

const DATABASES = Array.from({ length: 15 }, (_, i) => `race-${i + 1}`);

const fileOnMain = (repo: string, dbName: string) => fileAt(repo, 'main', fileOf(dbName, 'dev')) !== null;

describe('merge and close of one pull request at once', () => {
  const suite = serverPerSuite();

  it('one of the two wins for each of 15 pull requests; the file is on main iff the request is merged', async () => {
    const requests = await Promise.all(
      DATABASES.map(async (db_name) => {
        const accepted = await suite.call('POST', '/provision', {
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
          () => suite.call('GET', `/requests/${r.id}`),
          (answer) => answer.json?.status === 'pr_open',
          60_000,
        );
        return { ...r, number: record.json.pull_request.number as number };
      }),
    );

    const answers = await Promise.all(
      open.map(async (r, i) => {
        const merging = () => suite.call('POST', `/pulls/${r.number}/merge`);
        const closing = () => suite.call('POST', `/pulls/${r.number}/close`);
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
        `${r.db_name}: merge ${r.merge.text}, close ${r.close.text}; server errors: ${suite.server.output.filter((l) => l.includes('"level":"error"')).join('\n')}`,
      ).toEqual([200, 409]);
      const loser = r.merge.status === 409 ? r.merge : r.close;
      expect(loser.json).toMatchObject({ error: 'invalid_state' });
      expect(loser.json.message).toMatch(
        new RegExp(`pull request #${r.number} is (merged|closed|being merged)`),
      );

      const merged = r.merge.status === 200;
      const pull = await suite.call('GET', `/pulls/${r.number}`);
      const request = await suite.call('GET', `/requests/${r.id}`);
      expect(
        {
          pull: pull.json.state,
          request: request.json.status,
          onMain: fileOnMain(suite.server.repo, r.db_name),
        },
        r.db_name,
      ).toEqual(
        merged
          ? { pull: 'merged', request: 'merged', onMain: true }
          : { pull: 'closed', request: 'closed', onMain: false },
      );
    }
  }, 120_000);
});
