import { type InferResponseType, parseResponse } from 'hono/client';
import type { Status } from '../domain/status.js';
import type { ApiClient } from './api-client.js';
import { CliError, EXIT, invalidInput } from './exit-codes.js';

/** Following a request to where the worker's part is over: what `request --wait` and `db … --wait` share. */

type OneRequest = ApiClient['api']['requests'][':id']['$get'];
/** A request as GET /requests/{id} answers it. */
export type View = InferResponseType<OneRequest, 200>;

/**
 * GET /requests/{id}, the id sent as one path segment. "", "." and ".." cannot be one (a URL drops or
 * resolves them: the list of requests or the page would answer), so they are refused before sending.
 */
export async function getRequest(client: ApiClient, id: string): Promise<View> {
  if (id === '') throw invalidInput([{ path: 'id', message: 'is empty' }]);
  if (id === '.' || id === '..') throw invalidInput([{ path: 'id', message: 'is not a request id' }]);
  return parseResponse(client.api.requests[':id'].$get({ param: { id: encodeURIComponent(id) } }));
}

/** Statuses where --wait stops: the worker's part is over. */
const SETTLED: readonly Status[] = ['pr_open', 'merged', 'closed', 'failed'];
const POLL_MS = 200;

export const exitFor = (view: View) => (view.status === 'failed' ? EXIT.failed : EXIT.ok);

/** `id  status  name (engine, env)`, then the kind for a day-2 request (and a retirement's step 2). */
export function describe(view: View): string {
  const kind = view.kind === 'create' ? '' : `  ${view.kind}${view.step > 1 ? ` step ${view.step}` : ''}`;
  const lines = [
    `${view.request_id}  ${view.status}  ${view.db_name} (${view.engine}, ${view.environment})${kind}`,
  ];
  if (view.pull_request) lines.push(`pull request #${view.pull_request.number}: ${view.pull_request.url}`);
  if (view.failure_reason) lines.push(`failed: ${view.failure_reason}`);
  return `${lines.join('\n')}\n`;
}

/** --wait: follows the request until it settles, prints it, and exits 4 when it failed. */
export async function waitAndReport(client: ApiClient, id: string): Promise<void> {
  const view = await follow(client, id);
  process.stdout.write(describe(view));
  if (exitFor(view) !== EXIT.ok) throw new CliError([], exitFor(view));
}

/**
 * Polls until the request settles, showing each status change: a spinner line redrawn in place on a
 * terminal, one plain line per change otherwise (logs, pipes, CI).
 */
async function follow(client: ApiClient, id: string): Promise<View> {
  const tty = process.stderr.isTTY === true;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  const started = Date.now();
  let last: Status | undefined;
  for (let tick = 0; ; tick++) {
    const view = await getRequest(client, id);
    if (view.status !== last) {
      if (!tty) process.stderr.write(`${new Date().toISOString()}  ${view.status}\n`);
      last = view.status;
    }
    if (tty) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stderr.write(`\r\x1b[2K${frames[tick % frames.length]} ${id}  ${view.status}  ${seconds}s`);
    }
    if (SETTLED.includes(view.status)) {
      if (tty) process.stderr.write('\n');
      return view;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
