import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, serverPerSuite, startServer, tempDir } from '../support/server.js';

/** A well-formed apply report for a commit nothing merged as: past the credential, it is the use case's. */
const APPLY_STARTED = { commit: 'a'.repeat(40), outcome: 'started' };

describe("the local runtime's pipeline credential", () => {
  const suite = serverPerSuite();

  it('lets only the pipeline token reach the report routes', async () => {
    const { server } = suite;
    const anonymous = await fetch(`${server.url}/reports/apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(APPLY_STARTED),
    });
    expect(anonymous.status).toBe(401);

    const requester = await api(server)('POST', '/reports/apply', APPLY_STARTED);
    expect(requester.status).toBe(401);
    expect(requester.json).toMatchObject({ error: 'unauthorized' });

    const pipeline = api({ url: server.url, token: server.pipelineToken });
    for (const path of ['/reports/plan', '/reports/apply', '/reports/drift']) {
      // Past the credential: whatever the route answers (400 for this body, 404, or 503 while the use
      // cases are being written), never 401.
      const answer = await pipeline('POST', path, APPLY_STARTED);
      expect(answer.status, `${path}: ${answer.text}`).not.toBe(401);
    }
  });

  it("refuses the pipeline token on the requesters' routes", async () => {
    const { server } = suite;
    const pipeline = api({ url: server.url, token: server.pipelineToken });
    expect((await pipeline('GET', '/requests')).status).toBe(401);
    const provision = await pipeline('POST', '/provision', {
      db_name: 'sneaky',
      engine: 'postgres',
      environment: 'dev',
    });
    expect(provision.status).toBe(401);
    expect((await api(server)('GET', '/requests')).json.requests).toEqual([]);
  });
});

describe('the pipeline token on first start', () => {
  it('is generated beside the API token, kept with mode 0600, shown once, and kept across restarts', async () => {
    const dataDir = tempDir('pipeline-token');
    const env = { RDS_PROVISIONER_PIPELINE_TOKEN: '' };
    const first = await startServer({ dataDir, env });
    const file = join(dataDir, 'pipeline-token');
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.output.filter((line) => line.includes(token))).toEqual([
      `Pipeline token for the report commands (shown once; kept in ${file}): ${token}`,
    ]);
    const pipeline = api({ url: first.url, token });
    expect((await pipeline('POST', '/reports/apply', APPLY_STARTED)).status).not.toBe(401);
    expect(await first.stop()).toBe(0);

    const second = await startServer({ dataDir, env });
    expect(second.output.join('\n')).not.toContain(token);
    expect((await api({ url: second.url, token })('POST', '/reports/apply', APPLY_STARTED)).status).not.toBe(
      401,
    );
    expect(await second.stop()).toBe(0);
  });

  it('refuses to start when the pipeline token is the API token, naming the variable, and creates nothing', async () => {
    const dataDir = tempDir('same-tokens');
    const same = 'one-token-for-everything';
    await expect(startServer({ dataDir, token: same, pipelineToken: same })).rejects.toThrow(
      /RDS_PROVISIONER_PIPELINE_TOKEN: must differ from the API token/,
    );
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
