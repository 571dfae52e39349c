/**
 * The data dir's tokens as personal tokens on the built server: registered on first start by digest
 * only, never again on a restart, a revocation acting at once and surviving restarts, nothing in clear.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteTokenStore } from '../../src/adapters/local/sqlite-token-store.js';
import { tokenDigest } from '../../src/app/tokens.js';
import type { TokenRecord } from '../../src/ports.js';
import { api, type RunningServer, startServer, tempDir } from '../support/server.js';

const running: RunningServer[] = [];
const handles: SqliteDatabase[] = [];

afterEach(async () => {
  for (const server of running.splice(0)) if (server.process.exitCode === null) await server.stop();
  for (const handle of handles.splice(0)) handle.close();
});

async function start(options: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const server = await startServer({ ...options, args: ['--workers', '0', ...(options?.args ?? [])] });
  running.push(server);
  return server;
}

/** The server's own token store, through a second connection to its database (as another process). */
function storeOf(dataDir: string): SqliteTokenStore {
  const db = openDatabase(join(dataDir, 'rds-provisioner.db'));
  handles.push(db);
  return new SqliteTokenStore(db);
}

const status = async (server: RunningServer, token: string, path = '/requests') =>
  (await api({ url: server.url, token })('GET', path)).status;

const shape = (r: TokenRecord) => ({
  user: r.user,
  role: r.role,
  createdBy: r.createdBy,
  revoked: r.revokedAt !== null,
});

describe('the data dir tokens as personal tokens', () => {
  it('registers the API token as the first admin and the pipeline token as the pipeline, once across restarts', async () => {
    const dataDir = tempDir('first-tokens');
    const first = await start({ dataDir, token: 'first-api-token', pipelineToken: 'first-pipeline-token' });
    expect(await status(first, 'first-api-token')).toBe(200);
    const registered = await storeOf(dataDir).list();
    expect(registered.map(shape).sort((a, b) => a.role.localeCompare(b.role))).toEqual([
      { user: 'admin', role: 'admin', createdBy: 'first-start', revoked: false },
      { user: 'pipeline', role: 'pipeline', createdBy: 'first-start', revoked: false },
    ]);
    expect(registered.find((r) => r.role === 'admin')?.digest).toBe(tokenDigest('first-api-token'));
    expect(await first.stop()).toBe(0);

    const second = await start({ dataDir, token: 'first-api-token', pipelineToken: 'first-pipeline-token' });
    expect(await status(second, 'first-api-token')).toBe(200);
    expect(await storeOf(dataDir).list()).toEqual(registered);
  });

  it('the generated first token works and is the admin; restarted, it still is and nothing is added', async () => {
    const dataDir = tempDir('first-generated');
    const env = { RDS_PROVISIONER_API_TOKEN: '', RDS_PROVISIONER_PIPELINE_TOKEN: '' };
    const first = await start({ dataDir, token: '', env });
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    expect(await status(first, token)).toBe(200);
    const admin = (await storeOf(dataDir).byDigest(tokenDigest(token))) as TokenRecord;
    expect(shape(admin)).toEqual({ user: 'admin', role: 'admin', createdBy: 'first-start', revoked: false });
    await first.stop();
    const second = await start({ dataDir, token: '', env });
    expect(await status(second, token)).toBe(200);
    expect(await storeOf(dataDir).list()).toHaveLength(2);
  });

  it('refuses a revoked token at once, without a restart, and a revoked first token stays revoked after one', async () => {
    const dataDir = tempDir('first-revoked');
    const tokens = { token: 'revoked-api-token', pipelineToken: 'kept-pipeline-token' };
    const server = await start({ dataDir, ...tokens });
    expect(await status(server, tokens.token)).toBe(200);
    const store = storeOf(dataDir);
    const admin = (await store.byDigest(tokenDigest(tokens.token))) as TokenRecord;
    await store.revoke(admin.id, new Date(), 'root');
    const refused = await api({ url: server.url, token: tokens.token })('GET', '/requests');
    expect(refused.status).toBe(401);
    expect(JSON.stringify(refused.json)).toContain('the token was revoked');
    expect(JSON.stringify(refused.json)).not.toContain(tokens.token);
    await server.stop();

    const restarted = await start({ dataDir, ...tokens });
    expect(await status(restarted, tokens.token)).toBe(401);
    expect(await storeOf(dataDir).byDigest(tokenDigest(tokens.token))).toMatchObject({
      id: admin.id,
      revokedBy: 'root',
    });
    expect(await storeOf(dataDir).list()).toHaveLength(2);
  });

  it('a new API token given in place of the first revokes the first (a rotation)', async () => {
    const dataDir = tempDir('first-rotated');
    const first = await start({ dataDir, token: 'old-api-token', pipelineToken: 'pipeline-token-1' });
    await first.stop();
    const second = await start({ dataDir, token: 'new-api-token', pipelineToken: 'pipeline-token-1' });
    expect(await status(second, 'new-api-token')).toBe(200);
    expect(await status(second, 'old-api-token')).toBe(401);
    expect(await storeOf(dataDir).byDigest(tokenDigest('old-api-token'))).toMatchObject({
      revokedBy: 'first-start',
    });
  });

  it('keeps no token in clear: neither is in the database files, their digests are', async () => {
    const dataDir = tempDir('first-clear');
    const tokens = { token: 'clear-api-token-0123456789', pipelineToken: 'clear-pipeline-token-0123456789' };
    const server = await start({ dataDir, ...tokens });
    expect(await status(server, tokens.token)).toBe(200);
    await server.stop();
    const files = ['rds-provisioner.db', 'rds-provisioner.db-wal']
      .map((name) => join(dataDir, name))
      .filter((file) => existsSync(file));
    const bytes = Buffer.concat(files.map((file) => readFileSync(file)));
    for (const token of [tokens.token, tokens.pipelineToken]) {
      expect(bytes.includes(token)).toBe(false);
      expect(bytes.includes(tokenDigest(token))).toBe(true);
    }
  });
});
