import type { InferResponseType } from 'hono/client';
import type { ApiClient } from './api-client.js';

/** Plain-text output helpers shared by the client commands. */

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** "3s", "5m", "2h", "4d": how long ago an ISO time was. */
export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// ---- What the pipeline reported, and the cost estimate: shared by `status`, `db show` and `report` ----

type RequestView = InferResponseType<ApiClient['api']['requests'][':id']['$get'], 200>;
export type PlanView = NonNullable<RequestView['plan']>;
export type CostView = NonNullable<RequestView['cost']>;
export type ConnectionView = NonNullable<RequestView['connection']>;
export type DriftView = NonNullable<
  InferResponseType<ApiClient['api']['databases'][':db_name']['$get'], 200>['drift']
>;

const short = (commit: string) => commit.slice(0, 12);

/** `orders +1 ~2 -0` (`±1` for replacements): a plan's counts per database, then anything outside them. */
export function planCounts(plan: PlanView): string {
  const counts = (name: string, c: PlanView['other']) =>
    `${name} +${c.add} ~${c.change} -${c.destroy}${c.replace > 0 ? ` ±${c.replace}` : ''}`;
  const parts = plan.databases.map((d) => counts(d.db_name, d));
  const { other } = plan;
  if (other.add + other.change + other.destroy + other.replace > 0) parts.push(counts('other', other));
  return parts.join(', ') || 'no changes';
}

/** One warning line per database the plan destroys or replaces although its request does not retire it. */
export function planWarnings(plan: PlanView): string[] {
  return plan.databases
    .filter((d) => d.unexpected)
    .map(
      (d) =>
        `warning: the plan destroys or replaces database ${d.db_name}, and its request does not retire it: ${[...d.destroyed, ...d.replaced].join(', ')}`,
    );
}

const dollars = (n: number) => `$${n.toFixed(2)}`;
const range = (r: { low: number; high: number }) =>
  r.low === r.high ? dollars(r.low) : `${dollars(r.low)}–${dollars(r.high)}`;
/** `+$10.00`, `-$5.00–$8.00`, or `-$5.00 to +$8.00` when the range crosses zero. */
function signed(r: { low: number; high: number }): string {
  if (r.low >= 0) return `+${range(r)}`;
  if (r.high <= 0) return `-${range({ low: -r.high, high: -r.low })}`;
  return `-${dollars(-r.low)} to +${dollars(r.high)}`;
}

/**
 * `about $123.45 a month in us-east-1 (+$10.00 a month)`: the estimate, and a change's difference. What
 * it leaves out is a paragraph: the JSON (and the pull request) spell it out.
 */
export function costSummary(cost: CostView): string {
  const difference = cost.difference ? ` (${signed(cost.difference)} a month)` : '';
  return `about ${range(cost.monthly)} a month in ${cost.region}${difference}; an estimate: status --json lists what it leaves out`;
}

/** How to reach the database, and the one command that fetches its password. */
export function connectionLines(connection: ConnectionView): string[] {
  const at = (host: string) => `${host}:${connection.port}`;
  return [
    `connection (applied ${connection.applied_at} at ${short(connection.commit)}):`,
    `  writer    ${at(connection.writer_endpoint)}`,
    ...(connection.reader_endpoint ? [`  reader    ${at(connection.reader_endpoint)}`] : []),
    ...(connection.master_user_secret_arn ? [`  secret    ${connection.master_user_secret_arn}`] : []),
    ...(connection.password_command ? [`  password  ${connection.password_command}`] : []),
  ];
}

/** The nightly plan's verdict: clean, or which attributes drifted (or wait for the maintenance window). */
export function driftLines(drift: DriftView): string[] {
  const checked = `checked ${drift.reported_at} at ${short(drift.commit)}`;
  const attributes = (changes: DriftView['drifted']) =>
    changes.map((c) => `  ${c.address}: ${c.attributes.join(', ')}`);
  if (drift.status === 'clean') return [`drift: none (${checked})`];
  return [
    ...(drift.status === 'drifted'
      ? [
          `drift: DRIFTED${drift.since ? ` since ${drift.since}` : ''} (${checked})`,
          ...attributes(drift.drifted),
        ]
      : [`drift: none (${checked})`]),
    ...(drift.pending.length > 0
      ? ['pending the maintenance window (merged and applied):', ...attributes(drift.pending)]
      : []),
  ];
}
