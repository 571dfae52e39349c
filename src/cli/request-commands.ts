import type { Command } from 'commander';
import { type InferRequestType, type InferResponseType, parseResponse } from 'hono/client';
import { STATUSES } from '../domain/status.js';
import { ApiClient, type ClientOptions, clientOptions } from './api-client.js';
import { CliError, EXIT, invalidInput } from './exit-codes.js';
import { age, table, writeJson } from './format.js';
import {
  describe,
  exitFor,
  type FollowOptions,
  getRequest,
  untilOption,
  waitAndReport,
  waits,
} from './request-follow.js';
import { type RequestOptions, requestFromOptions, requestOptions } from './request-options.js';

type Provision = ApiClient['api']['provision']['$post'];

/** `request`, `status`, `requests`: ask for a database and follow requests through the server. */
export function registerRequestCommands(program: Command): void {
  const request = program
    .command('request')
    .description('ask the server for a database')
    .option('--json <request>', 'the whole request as JSON');
  requestOptions(clientOptions(request))
    .option('--wait', 'follow the request until its pull request is open (or it fails); see --until')
    .addOption(untilOption())
    .action(async (options: RequestOptions & ClientOptions & FollowOptions & { json?: string }) => {
      const client = new ApiClient(options);
      const body = options.json !== undefined ? parseJson(options.json) : requestFromOptions(options);
      // The server judges the body whole (every bad field named), so what the user gave is sent as it is;
      // without dry_run, 202 is its only success.
      const accepted = (await parseResponse(
        client.api.provision.$post({ query: {}, json: body as InferRequestType<Provision>['json'] }),
      )) as InferResponseType<Provision, 202>;
      if (!waits(options)) {
        process.stdout.write(`${accepted.request_id}  queued  ${accepted.status_url}\n`);
        return;
      }
      await waitAndReport(client, accepted.request_id, options.until);
    });

  clientOptions(program.command('status').description('show a request').argument('<id>'))
    .option('--json', 'the whole request as JSON, with its history')
    .option('--wait', 'follow the request first, until its pull request is open; see --until')
    .addOption(untilOption())
    .action(async (id: string, options: ClientOptions & FollowOptions & { json?: boolean }) => {
      const client = new ApiClient(options);
      if (waits(options)) {
        await waitAndReport(client, id, options.until);
        return;
      }
      const view = await getRequest(client, id);
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
      const status = options.status ? STATUSES.find((s) => s === options.status) : undefined;
      if (options.status && status === undefined) {
        throw invalidInput([{ path: 'status', message: `must be one of: ${STATUSES.join(', ')}` }]);
      }
      const { requests } = await parseResponse(
        new ApiClient(options).api.requests.$get({
          query: { limit: options.limit, ...(status ? { status } : {}) },
        }),
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
