import type { z } from '@hono/zod-openapi';
import type { Command } from 'commander';
import type { Accepted, RequestList, RequestView } from '../app/http/schemas.js';
import { STATUSES, type Status } from '../domain/status.js';
import { ApiClient, type ClientOptions, clientOptions } from './api-client.js';
import { CliError, EXIT, invalidInput } from './exit-codes.js';
import { age, table, writeJson } from './format.js';
import { type RequestOptions, requestFromOptions, requestOptions } from './request-options.js';

type View = z.infer<typeof RequestView>;

/** Statuses where --wait stops: the worker's part is over. */
const SETTLED: readonly Status[] = ['pr_open', 'merged', 'closed', 'failed'];
const POLL_MS = 200;

const exitFor = (view: View) => (view.status === 'failed' ? EXIT.failed : EXIT.ok);

function describe(view: View): string {
  const lines = [`${view.request_id}  ${view.status}  ${view.db_name} (${view.engine}, ${view.environment})`];
  if (view.pull_request) lines.push(`pull request #${view.pull_request.number}: ${view.pull_request.url}`);
  if (view.failure_reason) lines.push(`failed: ${view.failure_reason}`);
  return `${lines.join('\n')}\n`;
}

/** `request`, `status`, `requests`: ask for a database and follow requests through the server. */
export function registerRequestCommands(program: Command): void {
  const request = program
    .command('request')
    .description('ask the server for a database')
    .option('--json <request>', 'the whole request as JSON');
  requestOptions(clientOptions(request))
    .option('--wait', 'follow the request until its pull request is open (or it fails)')
    .action(async (options: RequestOptions & ClientOptions & { json?: string; wait?: boolean }) => {
      const client = new ApiClient(options);
      const body = options.json !== undefined ? parseJson(options.json) : requestFromOptions(options);
      const accepted = await client.post<z.infer<typeof Accepted>>('/provision', body);
      if (!options.wait) {
        process.stdout.write(`${accepted.request_id}  queued  ${accepted.status_url}\n`);
        return;
      }
      const view = await follow(client, accepted.request_id);
      process.stdout.write(describe(view));
      if (exitFor(view) !== EXIT.ok) throw new CliError([], exitFor(view));
    });

  clientOptions(program.command('status').description('show a request').argument('<id>'))
    .option('--json', 'the whole request as JSON, with its history')
    .action(async (id: string, options: ClientOptions & { json?: boolean }) => {
      const view = await new ApiClient(options).get<View>(`/requests/${encodeURIComponent(id)}`);
      if (options.json) writeJson(view);
      else {
        process.stdout.write(describe(view));
        for (const h of view.history)
          process.stdout.write(`  ${h.at}  ${h.status}${h.detail ? `  ${h.detail}` : ''}\n`);
      }
      if (exitFor(view) !== EXIT.ok) throw new CliError([], exitFor(view));
    });

  clientOptions(program.command('requests').description('list requests, newest first'))
    .option('--status <status>', `only this status: ${STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'JSON array')
    .action(async (options: ClientOptions & { status?: string; limit: string; json?: boolean }) => {
      if (options.status && !(STATUSES as readonly string[]).includes(options.status)) {
        throw invalidInput([{ path: 'status', message: `must be one of: ${STATUSES.join(', ')}` }]);
      }
      const query = new URLSearchParams({
        limit: options.limit,
        ...(options.status ? { status: options.status } : {}),
      });
      const { requests } = await new ApiClient(options).get<z.infer<typeof RequestList>>(
        `/requests?${query}`,
      );
      if (options.json) {
        writeJson(requests);
        return;
      }
      process.stdout.write(
        table(
          ['ID', 'STATUS', 'DATABASE', 'ENV', 'REQUESTER', 'AGE', 'PR'],
          requests.map((r) => [
            r.request_id,
            r.status,
            r.db_name,
            r.environment,
            r.requester,
            age(r.created_at),
            r.pull_request?.url ?? '',
          ]),
        ),
      );
    });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalidInput([{ path: '--json', message: 'is not valid JSON' }]);
  }
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
    const view = await client.get<View>(`/requests/${encodeURIComponent(id)}`);
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
