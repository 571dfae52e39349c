import type { Command } from 'commander';
import { type InferResponseType, parseResponse } from 'hono/client';
import { withoutMarker } from '../render/pull-request-marker.js';
import { ApiClient, type ClientOptions, clientOptions } from './api-client.js';
import { invalidInput } from './exit-codes.js';
import { table, writeJson } from './format.js';

type Pulls = ApiClient['api']['pulls'];
/** A pull request as merging or closing it answers. */
type Pull = InferResponseType<Pulls[':number']['merge']['$post'], 200>;
/** A pull request with its body, diff and the service's comments. */
type PullDetail = InferResponseType<Pulls[':number']['$get'], 200>;

/** `pr list|show|merge|close`: review the local repository's pull requests through the server. */
export function registerPr(program: Command): void {
  const pr = program.command('pr').description("review the local repository's pull requests");

  clientOptions(pr.command('list').description('list pull requests'))
    .option('--json', 'JSON: an array of {number, title, branch, state, request_id}')
    .action(async (options: ClientOptions & { json?: boolean }) => {
      const { pull_requests } = await parseResponse(new ApiClient(options).api.pulls.$get());
      if (options.json) {
        writeJson(
          pull_requests.map(({ number, title, branch, state, request_id }) => ({
            number,
            title,
            branch,
            state,
            request_id,
          })),
        );
        return;
      }
      process.stdout.write(
        table(
          ['#', 'STATE', 'BRANCH', 'TITLE'],
          pull_requests.map((p) => [String(p.number), p.state, p.branch, p.title]),
        ),
      );
    });

  clientOptions(
    pr
      .command('show')
      .description("print a pull request: its body, the service's comments (the plan) and its diff")
      .argument('<number>'),
  ).action(async (number: string, options: ClientOptions) => {
    const param = { number: pullNumber(number) };
    const p = await parseResponse(new ApiClient(options).api.pulls[':number'].$get({ param }));
    process.stdout.write(showPull(p));
  });

  for (const action of ['merge', 'close'] as const) {
    clientOptions(
      pr
        .command(action)
        .description(action === 'merge' ? 'merge into the base branch' : 'close without merging')
        .argument('<number>'),
    ).action(async (number: string, options: ClientOptions) => {
      const param = { number: pullNumber(number) };
      const p: Pull = await parseResponse(
        new ApiClient(options).api.pulls[':number'][action].$post({ param }),
      );
      process.stdout.write(`${outcome(p)}\n`);
    });
  }
}

/**
 * The header, the body and each comment of the service without their hidden markers (nothing a person
 * reads), then the diff.
 */
function showPull(p: PullDetail): string {
  const parts = [`#${p.number} ${p.title} [${p.state}]\n${p.branch} -> ${p.base}`];
  const body = withoutMarker(p.body).trim();
  if (body) parts.push(body);
  for (const comment of p.comments) {
    const name = comment.marker.replace(/^<!--\s*|\s*-->$/g, '');
    const text = comment.body
      .split('\n')
      .filter((line) => line.trim() !== comment.marker)
      .join('\n')
      .trim();
    parts.push(`Comment (${name}), updated ${comment.updated_at}:\n${text}`);
  }
  return `${parts.join('\n\n')}\n\n${p.diff}`;
}

/** `#3 merged into main (0123456789ab)`, or `#3 closed`: only a merge goes into the base. */
function outcome(p: Pull): string {
  if (p.state !== 'merged') return `#${p.number} ${p.state}`;
  return `#${p.number} merged into ${p.base}${p.merge_commit ? ` (${p.merge_commit.slice(0, 12)})` : ''}`;
}

function pullNumber(text: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text))
    throw invalidInput([{ path: 'number', message: 'must be a pull request number' }]);
  return Number(text);
}
