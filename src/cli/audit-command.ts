import type { Command } from 'commander';
import { parseResponse } from 'hono/client';
import type { FieldIssue } from '../domain/request.js';
import { AUDIT_ACTIONS } from '../ports.js';
import { ApiClient, type ClientOptions, clientOptions } from './api-client.js';
import { invalidInput } from './exit-codes.js';
import { table, writeJson } from './format.js';
import { readPages } from './paging.js';

const OUTCOMES = ['allowed', 'denied'] as const;

interface AuditOptions extends ClientOptions {
  actor?: string;
  action?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit?: string;
  all?: boolean;
  json?: boolean;
}

/** `audit`: the audit trail, newest first, through the server (an approver's or admin's credential). */
export function registerAudit(program: Command): void {
  clientOptions(
    program
      .command('audit')
      .description('the audit trail: who did or was refused what, and when; newest first'),
  )
    .option('--actor <id>', 'only this actor (a token user, an OIDC subject, an IAM ARN, github:LOGIN)')
    .option('--action <action>', `only this action: ${AUDIT_ACTIONS.join(', ')}`)
    .option('--outcome <outcome>', 'only allowed or denied')
    .option(
      '--since <time>',
      'only at or after this time: ISO 8601 (2026-12-01T09:00:00Z) or ago (30m, 2h, 7d)',
    )
    .option('--until <time>', 'only before this time, as --since')
    .option('--limit <n>', 'at most this many (with --all, per page)')
    .option('--all', 'every page, following next_cursor')
    .option('--json', "the API's JSON: {entries, next_cursor}")
    .action(async (options: AuditOptions) => {
      const query = auditQuery(options);
      const client = new ApiClient(options);
      const { items: entries, next } = await readPages(async (cursor) => {
        const page = await parseResponse(
          client.api.audit.$get({ query: { ...query, ...(cursor && { cursor }) } }),
        );
        return { items: page.entries, next_cursor: page.next_cursor };
      }, options.all);
      if (options.json) {
        writeJson({ entries, next_cursor: next });
        return;
      }
      process.stdout.write(
        table(
          ['AT', 'ACTOR', 'ROLE', 'ACTION', 'OUTCOME', 'ENV', 'TARGET', 'DETAIL'],
          entries.map((e) => [
            e.at,
            e.actor,
            e.role ?? '-',
            e.action,
            e.outcome,
            e.environment ?? '-',
            e.target ?? '-',
            e.detail ?? '',
          ]),
        ),
      );
      if (next !== null) process.stderr.write('more entries: give --all to list every page\n');
    });
}

/** The query from the flags, every problem named at once; the server checks the rest (the limit's maximum). */
function auditQuery(options: AuditOptions, now = Date.now()) {
  const issues: FieldIssue[] = [];
  const action = AUDIT_ACTIONS.find((a) => a === options.action);
  if (options.action !== undefined && action === undefined)
    issues.push({ path: '--action', message: `must be one of ${AUDIT_ACTIONS.join(', ')}` });
  const outcome = OUTCOMES.find((o) => o === options.outcome);
  if (options.outcome !== undefined && outcome === undefined)
    issues.push({ path: '--outcome', message: 'must be allowed or denied' });
  const since = options.since === undefined ? undefined : isoTime(options.since, now);
  if (since === null) issues.push({ path: '--since', message: TIME_HELP });
  const until = options.until === undefined ? undefined : isoTime(options.until, now);
  if (until === null) issues.push({ path: '--until', message: TIME_HELP });
  if (options.limit !== undefined && !/^[1-9]\d{0,5}$/.test(options.limit))
    issues.push({ path: '--limit', message: 'must be a whole number from 1' });
  if (options.actor !== undefined && options.actor.trim() === '')
    issues.push({ path: '--actor', message: 'must not be empty' });
  if (issues.length > 0) throw invalidInput(issues);
  return {
    ...(options.actor !== undefined && { actor: options.actor }),
    ...(action && { action }),
    ...(outcome && { outcome }),
    ...(since && { since }),
    ...(until && { until }),
    ...(options.limit !== undefined && { limit: options.limit }),
  };
}

const TIME_HELP =
  'must be an ISO 8601 time such as 2026-12-01T09:00:00Z, or a time ago such as 30m, 2h or 7d';
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** An ISO 8601 date or time, or `N{s,m,h,d}` ago, as the ISO time the API takes; null when neither. */
export function isoTime(text: string, now: number): string | null {
  const ago = /^(\d{1,6})([smhd])$/.exec(text);
  if (ago) return new Date(now - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS]).toISOString();
  const iso = /^(\d{4})-(\d{2})-(\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(
    text,
  );
  if (!iso) return null;
  // Date.parse rolls 2026-02-31 over into March: the day must exist in its month.
  const [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate())
    return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : new Date(at).toISOString();
}
