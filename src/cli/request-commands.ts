import type { z } from '@hono/zod-openapi';
import type { Command } from 'commander';
import type { Accepted, RequestList } from '../app/http/schemas.js';
import { STATUSES } from '../domain/status.js';
import { ApiClient, type ClientOptions, clientOptions } from './api-client.js';
import { CliError, EXIT, invalidInput } from './exit-codes.js';
import { age, table, writeJson } from './format.js';
import { describe, exitFor, type View, waitAndReport } from './request-follow.js';
import { type RequestOptions, requestFromOptions, requestOptions } from './request-options.js';

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
      await waitAndReport(client, accepted.request_id);
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
          ['ID', 'KIND', 'STATUS', 'DATABASE', 'ENV', 'REQUESTER', 'AGE', 'PR'],
          requests.map((r) => [
            r.request_id,
            r.kind,
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
