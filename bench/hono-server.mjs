// A second reference for the accept path: the framework alone. Hono on @hono/node-server (the real
// server's stack) answering POST /provision with the bearer check, JSON body parsed, 202 and the same
// small JSON body: no schema, no policy, no git, no SQLite, no log line.
import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const token = process.env.BENCH_TOKEN ?? '';
const app = new Hono();
app.post('/provision', async (c) => {
  if (c.req.header('authorization') !== `Bearer ${token}`) return c.json({ error: 'unauthorized' }, 401);
  await c.req.json();
  const id = randomUUID();
  return c.json(
    { request_id: id, status: 'queued', status_url: new URL(`/requests/${id}`, c.req.url).toString() },
    202,
  );
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, ({ port }) => {
  process.stdout.write(`${JSON.stringify({ message: 'hono serving', url: `http://127.0.0.1:${port}` })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
