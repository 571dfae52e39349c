// The load generator for the accept path, run as its own process: autocannon against one URL, each
// POST /provision with its own db_name (a per-request counter), so none conflicts with another.
// Prints one JSON line: 2xx count, other statuses, errors, duration and latencies measured here.
// `amount` (a number of requests) instead of `duration` ends a run after that many, on any machine.
import autocannon from 'autocannon';

const { url, token, connections, duration, amount, prefix } = JSON.parse(process.argv[2]);

let n = 0;
const latencies = [];
const instance = autocannon({
  url,
  connections,
  ...(amount ? { amount } : { duration }),
  pipelining: 1,
  requests: [
    {
      method: 'POST',
      path: '/provision',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      setupRequest: (request) => {
        const db = `${prefix}-${(n++).toString(36)}`;
        return { ...request, body: JSON.stringify({ db_name: db, engine: 'mysql', environment: 'dev' }) };
      },
    },
  ],
});
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
});
const result = await instance;
const other = {};
for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) {
  if (!code.startsWith('2')) other[code] = count;
}
process.stdout.write(
  `${JSON.stringify({
    ok: result['2xx'],
    other,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    latencies,
  })}\n`,
);
