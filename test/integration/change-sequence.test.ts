/**
 * A database changed again and again through the built server (real git, SQLite): each change merged
 * before the next, and main's file ends as a fresh render of the spec the same changes build when
 * applied purely, with GET /databases/{name} reporting its final settings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange, type CurrentDatabase } from '../../src/domain/change.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { fileAt } from '../support/git-checks.js';
import { fileOf, packagedPolicy } from '../support/layouts.js';
import { serverPerSuite, waitFor } from '../support/server.js';

const policy = packagedPolicy.policy;
/** Fixed, so a failure replays; CHANGE_SEQUENCE_SEED explores others. */
const SEED = Number(process.env.CHANGE_SEQUENCE_SEED ?? 20261206);
const CHANGES = 6;

/** Changes staging allows for an Aurora PostgreSQL cluster, and some it does not (skipped purely). */
const changeArb = fc.record(
  {
    size: fc.constantFrom('small', 'medium', 'large', 'xlarge'),
    instances: fc.integer({ min: 1, max: 4 }),
    engine_version: fc.constantFrom('16.9', '17.5'),
    allow_major_version_upgrade: fc.constant(true),
    owner: fc.constantFrom('team-a', 'team-b', 'data platform'),
    tags: fc.dictionary(
      fc.constantFrom('app', 'team', 'cost-center', 'Data Classification'),
      fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,10}$/), fc.constant(null)),
      { minKeys: 1, maxKeys: 3 },
    ),
    deployment: fc.constantFrom('aurora', 'aurora-serverless'),
  },
  { requiredKeys: [] },
);

describe('a sequence of changes through the server', () => {
  const suite = serverPerSuite();

  const settle = (id: string, status: string) =>
    waitFor(
      () => suite.call('GET', `/requests/${id}`),
      (r) => r.json?.status === status,
    );

  /** Waits for the request's pull request and merges it; the request then reads merged. */
  async function merge(id: string) {
    const open = await waitFor(
      () => suite.call('GET', `/requests/${id}`),
      (r) => r.json?.status === 'pr_open',
    );
    expect((await suite.call('POST', `/pulls/${open.json.pull_request.number}/merge`)).status).toBe(200);
    await settle(id, 'merged');
  }

  it(`ends with main's file a fresh render of the spec the same ${CHANGES} changes build purely (seed ${SEED})`, async () => {
    const { call, server } = suite;
    const request = {
      db_name: 'ledger',
      engine: 'postgres',
      environment: 'staging',
      deployment: 'aurora',
      engine_version: '16.9',
      tags: { app: 'ledger' },
    };
    const created = await call('POST', '/provision', request);
    expect(created.status).toBe(202);
    const createId = created.json.request_id as string;
    await merge(createId);
    const resolved = resolveRequest(request, policy, { requestId: createId });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
    const file = fileOf('ledger', 'staging');
    expect(fileAt(server.repo, 'main', file)).toBe(renderTerraform(resolved.value.spec));

    // Each candidate the pure rules accept is sent; the pure state then moves with the server's id.
    let pure: CurrentDatabase = resolved.value;
    const sent: Array<{ id: string; change: object }> = [];
    for (const change of fc.sample(changeArb, { seed: SEED, numRuns: 500 })) {
      if (sent.length === CHANGES) break;
      if (!applyChange(pure, change, policy, 'probe').ok) continue;
      const context = `seed ${SEED}, change ${sent.length + 1}: ${JSON.stringify(change)}`;
      const answer = await call('PATCH', '/databases/ledger', change);
      expect(answer.status, `${context}: ${answer.text}`).toBe(202);
      const id = answer.json.request_id as string;
      const outcome = applyChange(pure, change, policy, id);
      if (!outcome.ok) throw new Error(`${context}: ${JSON.stringify(outcome.issues)}`);
      await merge(id);
      pure = outcome.value;
      sent.push({ id, change });
    }
    expect(sent.length, `seed ${SEED} gave too few accepted changes`).toBe(CHANGES);

    const final = pure.spec;
    const context = `seed ${SEED}: ${JSON.stringify(sent)}`;
    expect(fileAt(server.repo, 'main', file), context).toBe(renderTerraform(final));
    const shown = await call('GET', '/databases/ledger');
    expect(shown.status).toBe(200);
    expect(shown.json, context).toMatchObject({
      db_name: 'ledger',
      environment: 'staging',
      engine: 'postgres',
      deployment: final.deployment,
      engine_version: final.engineVersion,
      size: final.size,
      instances: final.instances,
      owner: final.owner,
      tags: pure.request.tags ?? {},
      file,
      managed: 'generated',
      request_id: sent.at(-1)?.id,
      in_flight: null,
      content: renderTerraform(final),
    });
    expect(shown.json.requests.map((r: { request_id: string }) => r.request_id)).toEqual([
      ...sent.map((s) => s.id).reverse(),
      createId,
    ]);
  }, 180_000);

  it('answers a change with every problem in one 400 and records nothing', async () => {
    const { call } = suite;
    const before = await call('GET', '/requests?limit=100');
    const shownBefore = await call('GET', '/databases/ledger');
    const cases: Array<[unknown, string[]]> = [
      [{ engine: 'mysql', instances: 5 }, ['engine', 'instances']],
      // Older than any version the sequence leaves, and not one the policy allows.
      [{ size: 'huge', engine_version: '16.1' }, ['engine_version', 'size']],
      [JSON.parse('{"tags": {"__proto__": "x", "team": "a"}}'), ['tags.__proto__']],
      [JSON.parse('{"__proto__": {"size": "large"}, "size": "large"}'), ['__proto__']],
    ];
    for (const [body, fields] of cases) {
      const answer = await call('PATCH', '/databases/ledger', JSON.stringify(body));
      expect(answer.status, answer.text).toBe(400);
      expect(answer.json.error).toBe('invalid_request');
      const paths = new Set<string>(answer.json.issues.map((i: { path: string }) => i.path));
      expect([...paths].sort(), answer.text).toEqual(fields);
      for (const issue of answer.json.issues) expect(issue.message).not.toBe('');
    }
    expect((await call('GET', '/requests?limit=100')).json).toEqual(before.json);
    expect((await call('GET', '/databases/ledger')).json).toEqual(shownBefore.json);
  });
});
