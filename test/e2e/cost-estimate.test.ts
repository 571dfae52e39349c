/**
 * The cost estimate over real HTTP on the local runtime (the built server, real git, SQLite): the dry
 * runs answer it, the request keeps it (GET /requests/{id}), and the pull request body shows it.
 */
import { describe, expect, it } from 'vitest';
import { costView } from '../../src/app/http/views.js';
import { applyChange } from '../../src/domain/change.js';
import { estimateChange, estimateCost, estimateRetirement } from '../../src/domain/cost.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { serverPerSuite, waitFor } from '../support/server.js';

const { policy } = loadPolicyFile();

function created(input: object, requestId: string) {
  const result = resolveRequest(input, policy, { requestId });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

describe('the cost estimate over HTTP', () => {
  const suite = serverPerSuite();

  it('a dry run answers the estimate of the resolved spec, and its pull request body shows it', async () => {
    const input = { db_name: 'priced', engine: 'mysql', environment: 'dev' };
    const preview = await suite.call('POST', '/provision?dry_run=true', input);
    expect(preview.status).toBe(200);
    expect(preview.json.cost).toEqual(costView(estimateCost(created(input, 'dry-run').spec)));
    expect(preview.json.cost.monthly.low).toBeLessThan(preview.json.cost.monthly.high);
    expect(preview.json.pull_request.body).toContain('## Estimated cost');
  });

  it('a creation, a change and a retirement carry their estimates: request, pull request and dry runs', async () => {
    const input = { db_name: 'costly', engine: 'postgres', environment: 'dev' };
    const accepted = await suite.call('POST', '/provision', input);
    expect(accepted.status).toBe(202);
    const id = accepted.json.request_id as string;
    const database = created(input, id);

    const open = await waitFor(
      () => suite.call('GET', `/requests/${id}`),
      (r) => r.json?.status === 'pr_open',
    );
    expect(open.json.cost).toEqual(costView(estimateCost(database.spec)));
    const pull = await suite.call('GET', `/pulls/${open.json.pull_request.number}`);
    expect(pull.json.body).toContain('## Estimated cost');
    expect((await suite.call('POST', `/pulls/${open.json.pull_request.number}/merge`)).status).toBe(200);
    await waitFor(
      () => suite.call('GET', `/requests/${id}`),
      (r) => r.json?.status === 'merged',
    );

    // A change: the estimate after it, with before (the database on main) and the difference.
    const change = { size: 'medium' };
    const changed = applyChange(database, change, policy, 'dry-run');
    if (!changed.ok) throw new Error(JSON.stringify(changed.issues));
    const changePreview = await suite.call('PATCH', '/databases/costly?dry_run=true', change);
    expect(changePreview.status).toBe(200);
    const expectedChange = costView(estimateChange(database.spec, changed.value.spec));
    expect(changePreview.json.cost).toEqual(expectedChange);
    expect(changePreview.json.cost.difference).not.toBeNull();
    expect(changePreview.json.pull_request.body).toContain('After the change, about');

    // A retirement: nothing after it; the difference is the saving.
    const retirePreview = await suite.call('DELETE', '/databases/costly?dry_run=true');
    expect(retirePreview.status).toBe(200);
    expect(retirePreview.json.cost).toEqual(costView(estimateRetirement(database.spec)));
    expect(retirePreview.json.pull_request.body).toContain('Retiring it saves about');

    const changeRequest = await suite.call('PATCH', '/databases/costly', change);
    expect(changeRequest.status).toBe(202);
    const stored = await suite.call('GET', `/requests/${changeRequest.json.request_id}`);
    expect(stored.json.cost).toEqual(expectedChange);
  });
});
