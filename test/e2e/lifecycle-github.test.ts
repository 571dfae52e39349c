import { describe, expect, it } from 'vitest';
import { githubServedPerSuite } from '../support/github-served.js';
import { waitFor } from '../support/server.js';

const TOKEN = 'ghp_simulatedTokenForTheLifecycle0123456789ab';

/** A database's whole life against GitHub (the simulator): create → change → change → retire → create again. */
describe('serve --github: a database for its whole life', () => {
  const served = githubServedPerSuite({
    token: TOKEN,
    webhookSecret: 'whsec-for-the-lifecycle-test',
    pathPrefix: '/api/v3',
  });
  const file = 'terraform/live/prod/payments/main.tf';

  it('creates, changes twice, retires a protected prod database in two steps, and creates the name again', async () => {
    const { sim, server, call, mergeOpen } = served;
    const created = await call('POST', '/provision', {
      db_name: 'payments',
      engine: 'postgres',
      environment: 'prod',
      owner: 'team-payments',
    });
    expect(created.status).toBe(202);
    await mergeOpen(created.json.request_id);
    expect(sim.file(file, 'main')).toContain(`request ${created.json.request_id}.`);
    expect((await call('GET', '/databases?environment=prod')).json.databases).toEqual([
      expect.objectContaining({ db_name: 'payments', managed: 'generated', size: 'medium', instances: 2 }),
    ]);

    const change1 = await call('PATCH', '/databases/payments', { size: 'large' });
    expect(change1.status).toBe(202);
    const pr1 = await mergeOpen(change1.json.request_id);
    expect(pr1.title).toMatch(/^Change postgres database payments \(prod\)/);
    expect(sim.file(file, 'main')).toContain('db.r7g.xlarge');

    const change2 = await call('PATCH', '/databases/payments', { instances: 3 });
    expect(change2.status).toBe(202);
    await mergeOpen(change2.json.request_id);
    await waitFor(
      () => call('GET', `/requests/${change2.json.request_id}`),
      (r) => r.json?.status === 'merged',
    );
    expect((await call('GET', '/databases/payments')).json).toMatchObject({ size: 'large', instances: 3 });

    const retire = await call('DELETE', '/databases/payments');
    expect(retire.status).toBe(202);
    const rid = retire.json.request_id as string;
    const step1 = await mergeOpen(rid, 1);
    expect(step1.head.ref).toMatch(/-unprotect$/);
    expect(sim.file(file, 'main')).toContain('deletion_protection          = false');
    const step2 = await mergeOpen(rid, 2);
    expect(step2.body).toContain('[!CAUTION]');
    const done = await waitFor(
      () => call('GET', `/requests/${rid}`),
      (r) => r.json?.status === 'merged',
    );
    expect(done.json).toMatchObject({ kind: 'retire', step: 2 });
    expect(sim.file(file, 'main')).toBeUndefined();
    expect((await call('GET', '/databases/payments')).status).toBe(404);

    const again = await call('POST', '/provision', {
      db_name: 'payments',
      engine: 'mysql',
      environment: 'dev',
    });
    expect(again.status).toBe(202);
    await mergeOpen(again.json.request_id);
    expect((await call('GET', '/databases')).json.databases).toEqual([
      expect.objectContaining({ db_name: 'payments', environment: 'dev', engine: 'mysql' }),
    ]);
    expect(sim.problems).toEqual([]);
    expect(sim.violations).toEqual([]);
    expect(server.output.join('\n')).not.toContain(TOKEN);
  });
});
