// The load generator for the accept path, run as its own process: autocannon against one URL, each
// POST /provision with its own db_name (a per-request counter), so none conflicts with another.
// Prints one JSON line: 2xx count, other statuses, errors, duration and latencies measured here.
// `amount` (a number of requests) instead of `duration` ends a run after that many, on any machine.
import autocannon from 'autocannon';

const { url, token, connections, duration, amount, prefix } = JSON.parse(process.argv[2]);

let n = 0;
const latencies = [];
// autocannon reports a run's duration in whole ticks of its 1 s sampler, and a run of `amount` requests
// ends on the tick after its last answer: such a run is timed here, from the start to the last answer.
const started = performance.now();
let lastAnswer = started;
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
  lastAnswer = performance.now();
  if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
});
const result = await instance;
const elapsed = (lastAnswer - started) / 1000;
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
    seconds: amount ? elapsed : result.duration,
    latencies,
  })}\n`,
);
