// The baseline for the accept path: a bare node:http server that reads the body and answers 202 with
// a small JSON body shaped like the real answer. No framework, no validation, no storage.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const id = randomUUID();
    const body = JSON.stringify({
      request_id: id,
      status: 'queued',
      status_url: `http://${req.headers.host}/requests/${id}`,
    });
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ message: 'bare serving', url: `http://127.0.0.1:${port}` })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
