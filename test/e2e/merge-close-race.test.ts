/**
 * Merge and close of the same local pull request at once, over HTTP against the real server: exactly one
 * wins, and the file is on main if and only if the request (and the pull request) is merged; for a
 * retirement, the file is gone iff its removal merged.
 */
import { describe, expect, it } from 'vitest';
import { generatedForRequest } from '../../src/render/terraform.js';
import { fileAt } from '../support/git-checks.js';
import { fileOf } from '../support/layouts.js';
import { serverPerSuite, waitFor } from '../support/server.js';

const DATABASES = Array.from({ length: 15 }, (_, i) => `race-${i + 1}`);

const fileOnMain = (repo: string, dbName: string) => fileAt(repo, 'main', fileOf(dbName, 'dev')) !== null;

describe('merge and close of one pull request at once', () => {
  const suite = serverPerSuite();

  /** Sends merge and close of each pull request at once; half of them with the close sent first. */
  const mergeAndCloseAtOnce = <T extends { number: number }>(pulls: T[]) =>
    Promise.all(
      pulls.map(async (r, i) => {
        const merging = () => suite.call('POST', `/pulls/${r.number}/merge`);
        const closing = () => suite.call('POST', `/pulls/${r.number}/close`);
        if (i % 2 === 0) {
          const [merge, close] = await Promise.all([merging(), closing()]);
          return { ...r, merge, close };
        }
        const [close, merge] = await Promise.all([closing(), merging()]);
        return { ...r, merge, close };
      }),
    );

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

    const answers = await mergeAndCloseAtOnce(open);

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

  it("one of the two wins for a retirement's pull requests: its file is on main iff the removal is not merged", async () => {
    // dev retires in one removal; staging first lifts deletion protection (its merge moves on to step 2).
    const databases = [
      ...['1', '2', '3', '4'].map((n) => ({ db_name: `race-retire-dev-${n}`, environment: 'dev' })),
      ...['1', '2', '3', '4'].map((n) => ({ db_name: `race-retire-staging-${n}`, environment: 'staging' })),
    ];
    const created = await Promise.all(
      databases.map(async (d) => {
        const accepted = await suite.call('POST', '/provision', { ...d, engine: 'mysql' });
        expect(accepted.status).toBe(202);
        return { ...d, createId: accepted.json.request_id as string };
      }),
    );
    for (const d of created) {
      const open = await waitFor(
        () => suite.call('GET', `/requests/${d.createId}`),
        (answer) => answer.json?.status === 'pr_open',
        60_000,
      );
      expect((await suite.call('POST', `/pulls/${open.json.pull_request.number}/merge`)).status).toBe(200);
    }
    const retiring = await Promise.all(
      created.map(async (d) => {
        const retire = await suite.call('DELETE', `/databases/${d.db_name}`);
        expect(retire.status, retire.text).toBe(202);
        const id = retire.json.request_id as string;
        const open = await waitFor(
          () => suite.call('GET', `/requests/${id}`),
          (answer) => answer.json?.status === 'pr_open',
          60_000,
        );
        return { ...d, id, number: open.json.pull_request.number as number };
      }),
    );

    const answers = await mergeAndCloseAtOnce(retiring);

    for (const r of answers) {
      expect(
        [r.merge.status, r.close.status].sort(),
        `${r.db_name}: ${r.merge.text} ${r.close.text}`,
      ).toEqual([200, 409]);
      const merged = r.merge.status === 200;
      const request = (await suite.call('GET', `/requests/${r.id}`)).json;
      const onMain = fileAt(suite.server.repo, 'main', fileOf(r.db_name, r.environment));
      const header = onMain === null ? null : generatedForRequest(onMain);
      if (r.environment === 'dev') {
        // The removal itself.
        expect({ request: request.status, onMain: onMain !== null }, r.db_name).toEqual(
          merged ? { request: 'merged', onMain: false } : { request: 'closed', onMain: true },
        );
      } else if (merged) {
        // Protection lifted: the file now names the retirement, which has moved on to its removal.
        expect({ step: request.step, header }, r.db_name).toEqual({ step: 2, header: r.id });
        expect(['queued', 'processing', 'pr_open']).toContain(request.status);
      } else {
        expect({ status: request.status, step: request.step, header }, r.db_name).toEqual({
          status: 'closed',
          step: 1,
          header: r.createId,
        });
      }
    }
  }, 120_000);
});
