// Where the accept path's time goes, in-process and single-threaded (no sockets, no load generator):
// the same work as POST /provision, peeled layer by layer, each timed over many calls on the local
// runtime's real adapters. Run by `npm run bench -- --profile`; not part of the headline figures.
import { join } from 'node:path';
import { TokenAuthenticator } from '../dist/adapters/local/token-auth.js';
import { jsonLogger, newRequestId, silentLogger, systemClock } from '../dist/adapters/system.js';
import { acceptRequest } from '../dist/app/accept-request.js';
import { createApp } from '../dist/app/http/app.js';
import { resolveRequest } from '../dist/domain/resolve.js';
import { conventions, localAdapters, policy, seededRepository } from './fixtures.mjs';
import { fmt, now } from './lib.mjs';

async function perCall(label, n, fn) {
  for (let i = 0; i < Math.min(500, n); i++) await fn(`warm${label.length}x${i}`);
  const start = now();
  for (let i = 0; i < n; i++) await fn(`m${label.length}x${i}`);
  return { label, us: ((now() - start) * 1000) / n };
}

export async function acceptBreakdown({ n = 3000 } = {}) {
  const repo = await seededRepository('breakdown');
  const make = (logger) => {
    const { db, store, intake, git } = localAdapters(repo, `svc-${Math.random().toString(36).slice(2)}.db`);
    const ctx = {
      policy,
      conventions,
      store,
      intake,
      git,
      clock: systemClock,
      logger,
      newRequestId: () => newRequestId(),
    };
    return { db, store, git, ctx };
  };
  const quiet = make(silentLogger);
  // The real logger, writing its JSON lines to a file as the served process would.
  const { openSync, writeSync } = await import('node:fs');
  const fd = openSync(join(repo, '..', 'log.jsonl'), 'a');
  const logged = make(jsonLogger((line) => writeSync(fd, line)));
  const body = (name) => ({ db_name: name, engine: 'mysql', environment: 'dev' });
  const token = 'x'.repeat(32);
  const app = createApp({ ctx: logged.ctx, auth: new TokenAuthenticator([{ token, identity: 'admin' }]) });
  const results = [
    await perCall('resolveRequest (zod schema + policy)', n, async (name) =>
      resolveRequest(body(name), policy.policy, { requestId: newRequestId() }),
    ),
    await perCall('git.readFile on main (file absent, cached tree)', n, (name) =>
      quiet.git.readFile('main', `terraform/live/${name}.tf`),
    ),
    await perCall('acceptRequest, silent logger (resolve + readFile + SQLite transaction)', n, (name) =>
      acceptRequest(quiet.ctx, body(`q-${name}`), 'admin'),
    ),
    await perCall('acceptRequest, JSON log line to a file', n, (name) =>
      acceptRequest(logged.ctx, body(`l-${name}`), 'admin'),
    ),
    await perCall('Hono app.fetch(Request) POST /provision (no socket)', n, async (name) => {
      const response = await app.fetch(
        new Request('http://127.0.0.1/provision', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body(`h-${name}`)),
        }),
      );
      if (response.status !== 202) throw new Error(`app.fetch: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    }),
  ];
  await quiet.git.dispose();
  await logged.git.dispose();
  return results.map((r) => ({ ...r, text: `${fmt(r.us, 0).padStart(6)} µs  ${r.label}` }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await acceptBreakdown()) console.log(r.text);
}
