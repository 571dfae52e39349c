import { Option } from 'commander';
import { type InferResponseType, parseResponse } from 'hono/client';
import { type Status, TERMINAL_STATUSES } from '../domain/status.js';
import type { ApiClient } from './api-client.js';
import { CliError, EXIT, invalidInput } from './exit-codes.js';
import { connectionLines, costSummary, planCounts, planWarnings } from './format.js';

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

/**
 * What --wait follows a request until (--until): its pull request open (the default, as before: it stops
 * there or anywhere the worker's part is over), merged, or the pipeline's apply reported ready. Each
 * stops early where the request can go no further (closed, failed; apply_failed after the merge).
 */
export const UNTIL = ['pr_open', 'merged', 'ready'] as const;
export type Until = (typeof UNTIL)[number];
const STOPS: Record<Until, readonly Status[]> = {
  pr_open: ['pr_open', ...TERMINAL_STATUSES],
  merged: TERMINAL_STATUSES,
  ready: ['ready', 'apply_failed', 'closed', 'failed'],
};
const POLL_MS = 200;

/** The --until option: which status --wait follows a request until. */
export const untilOption = () =>
  new Option(
    '--until <status>',
    'follow until pr_open (the default with --wait: or anything after it), merged, or ready (the pipeline applied it; prints how to connect)',
  ).choices(UNTIL);

/** --wait, and --until (which on its own asks to wait too). */
export interface FollowOptions {
  wait?: boolean;
  until?: Until;
}

export const waits = (options: FollowOptions) => options.wait === true || options.until !== undefined;

/** A request that failed, or whose apply failed, exits 4. */
export const exitFor = (view: View) =>
  view.status === 'failed' || view.status === 'apply_failed' ? EXIT.failed : EXIT.ok;

/**
 * `id  status  name (engine, env)`, then the kind for a day-2 request (and a retirement's step 2), its
 * pull request, merge commit, plan, cost, why it failed, and how to connect once ready.
 */
export function describe(view: View): string {
  const kind = view.kind === 'create' ? '' : `  ${view.kind}${view.step > 1 ? ` step ${view.step}` : ''}`;
  const lines = [
    `${view.request_id}  ${view.status}  ${view.db_name} (${view.engine}, ${view.environment})${kind}`,
  ];
  if (view.pull_request) lines.push(`pull request #${view.pull_request.number}: ${view.pull_request.url}`);
  if (view.merge_commit) lines.push(`merged as ${view.merge_commit}`);
  if (view.plan) {
    lines.push(`plan at ${view.plan.commit.slice(0, 12)}: ${planCounts(view.plan)}`);
    lines.push(...planWarnings(view.plan));
  }
  if (view.cost) lines.push(`cost: ${costSummary(view.cost)}`);
  if (view.failure_reason)
    lines.push(`${view.status === 'apply_failed' ? 'apply failed' : 'failed'}: ${view.failure_reason}`);
  if (view.connection) lines.push(...connectionLines(view.connection));
  return `${lines.join('\n')}\n`;
}

/** --wait: follows the request until it settles, prints it, and exits 4 when it failed. */
export async function waitAndReport(client: ApiClient, id: string, until: Until = 'pr_open'): Promise<void> {
  const view = await follow(client, id, STOPS[until]);
  process.stdout.write(describe(view));
  if (exitFor(view) !== EXIT.ok) throw new CliError([], exitFor(view));
}

/**
 * Polls until the request settles, showing each status change: a spinner line redrawn in place on a
 * terminal, one plain line per change otherwise (logs, pipes, CI).
 */
async function follow(client: ApiClient, id: string, stops: readonly Status[]): Promise<View> {
  const tty = process.stderr.isTTY === true;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  const started = Date.now();
  let last: Status | undefined;
  for (let tick = 0; ; tick++) {
    const view = await getRequest(client, id);
    if (view.status !== last) {
      if (!tty) process.stderr.write(`${new Date().toISOString()}  ${view.status}\n`);
      // Without a pipeline that reports, a request rests at merged: say what the wait is for.
      if (view.status === 'merged' && !stops.includes('merged'))
        process.stderr.write(
          `${tty ? '\r\x1b[2K' : ''}merged: waiting for the pipeline to report its apply (a request rests at merged when none does)\n`,
        );
      last = view.status;
    }
    if (tty) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stderr.write(`\r\x1b[2K${frames[tick % frames.length]} ${id}  ${view.status}  ${seconds}s`);
    }
    if (stops.includes(view.status)) {
      if (tty) process.stderr.write('\n');
      return view;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
