import {
  auroraStoragePrice,
  gp3StoragePrice,
  HOURS_PER_MONTH,
  instanceHourPrice,
  PRICE_TABLE,
  type PriceTable,
  pricesIn,
  type RegionPrices,
  type RetentionPrice,
  serverlessAcuHourPrice,
  vcpusOf,
} from './price-table.js';
import type { AwsEngine, DatabaseSpec } from './spec.js';

/**
 * The estimated monthly cost of a resolved database, from the price table kept in the repository
 * (./price-table.ts): on-demand instance-hours (730 a month) or the Serverless v2 ACU range, gp3 storage,
 * Multi-AZ, and Performance Insights retention beyond the free 7 days, in the region the database's
 * Terraform root is configured for. Pure.
 *
 * A price the table lacks (a class, an engine or a region it was not generated for) is never guessed:
 * that part is left out of the total and named in `notCounted` ("No price in the table for …"), and the
 * rest is still estimated.
 */

/** A monthly amount in USD: a range for Aurora Serverless v2 (min to max ACU), else low equals high. */
export interface MonthlyRange {
  low: number;
  high: number;
}

export interface CostLine extends MonthlyRange {
  /** e.g. `2 × db.r7g.large (Aurora MySQL), 730 h each`. */
  item: string;
}

export interface CostEstimate {
  currency: 'USD';
  region: string;
  monthly: MonthlyRange;
  lines: CostLine[];
  /**
   * A change: the estimate of the database before it, and after − before (at the low end and at the high
   * end of a Serverless v2 range). A retirement: before is today's estimate and the difference its saving.
   * Null for a creation.
   */
  before: MonthlyRange | null;
  difference: MonthlyRange | null;
  /** What the estimate leaves out, in plain words (I/O, backups beyond the free allowance, data transfer…). */
  notCounted: string[];
  /** Where the prices come from and their date. */
  prices: { source: string; date: string };
}

/**
 * Where a database of the single root is priced: that root's region is a Terraform variable
 * (providers.auto.tfvars) the policy does not hold and the service does not read, so the estimate uses
 * AWS's reference region and says so.
 */
export const SINGLE_ROOT_PRICING_REGION = 'us-east-1';

const ENGINE_NAMES: Readonly<Record<AwsEngine, string>> = {
  'aurora-mysql': 'Aurora MySQL',
  'aurora-postgresql': 'Aurora PostgreSQL',
  mysql: 'MySQL',
  postgres: 'PostgreSQL',
  mariadb: 'MariaDB',
};

/** Performance Insights keeps 7 days for free; longer retention is billed by the month. */
const FREE_RETENTION_DAYS = 7;
const RETENTION_MONTH_DAYS = 31;

const MISSING = 'No price in the table for';
const missing = (what: string, region: string) => `${MISSING} ${what} in ${region}: not counted`;

/** The notes of an estimate that name a price the table lacks: its total leaves those parts out. */
export const missingPrices = (estimate: CostEstimate): string[] =>
  estimate.notCounted.filter((note) => note.includes(MISSING));

const cents = (usd: number) => Math.round(usd * 100) / 100;
const range = (low: number, high = low): MonthlyRange => ({ low: cents(low), high: cents(high) });
const sum = (lines: readonly MonthlyRange[]): MonthlyRange =>
  range(
    lines.reduce((total, l) => total + l.low, 0),
    lines.reduce((total, l) => total + l.high, 0),
  );
const dedupe = (notes: readonly string[]) => [...new Set(notes)];

/** What a part of the estimate adds: a priced line, notes, or both. */
interface Part {
  lines: CostLine[];
  notes: string[];
}
const line = (item: string, low: number, high = low): Part => ({
  lines: [{ item, ...range(low, high) }],
  notes: [],
});
const note = (...notes: string[]): Part => ({ lines: [], notes });

function compute(spec: DatabaseSpec, region: string, prices: RegionPrices | undefined): Part {
  const engine = ENGINE_NAMES[spec.awsEngine];
  if (!prices) return note(`${MISSING} region ${region}: nothing is counted`);
  if (spec.serverless) {
    const { minCapacity: min, maxCapacity: max } = spec.serverless;
    const price = serverlessAcuHourPrice(prices, spec.awsEngine);
    if (price === undefined) return note(missing(`Aurora Serverless v2 ACU-hours (${engine})`, region));
    const perAcu = spec.instances * HOURS_PER_MONTH * price;
    return line(
      `${spec.instances} × Serverless v2 (${engine}), ${min}-${max} ACU, ${HOURS_PER_MONTH} h each`,
      perAcu * min,
      perAcu * max,
    );
  }
  const instanceClass = spec.instanceClass ?? '';
  const multiAz = spec.deployment === 'instance' && spec.multiAz === true;
  const price = instanceHourPrice(prices, spec.awsEngine, instanceClass, multiAz);
  const az = spec.deployment === 'instance' ? (multiAz ? ', Multi-AZ' : ', Single-AZ') : '';
  const what = `${instanceClass} (${engine}${az})`;
  return price === undefined
    ? note(missing(`${what} instance-hours`, region))
    : line(
        `${spec.instances} × ${what}, ${HOURS_PER_MONTH} h each`,
        spec.instances * HOURS_PER_MONTH * price,
      );
}

function storage(spec: DatabaseSpec, region: string, prices: RegionPrices | undefined): Part {
  if (!prices) return note();
  if (!spec.storage) {
    // Aurora bills the data it stores, which a new cluster barely has: nothing to estimate up front.
    const price = auroraStoragePrice(prices, spec.awsEngine);
    return note(
      price === undefined
        ? 'Aurora storage: billed per GB-month of data stored, which grows with the data'
        : `Aurora storage: billed per GB-month of data stored ($${price} in ${region}), which grows with the data`,
    );
  }
  const multiAz = spec.multiAz === true;
  const { allocatedGb, maxAllocatedGb } = spec.storage;
  const growth =
    maxAllocatedGb > allocatedGb
      ? [`Storage autoscaling beyond the ${allocatedGb} GB allocated (up to ${maxAllocatedGb} GB)`]
      : [];
  const price = gp3StoragePrice(prices, multiAz);
  const what = `${allocatedGb} GB gp3 storage${multiAz ? ' (Multi-AZ: a copy in each zone)' : ''}`;
  if (price === undefined)
    return note(missing(`gp3 storage${multiAz ? ' (Multi-AZ)' : ''}`, region), ...growth);
  const part = line(what, allocatedGb * price);
  return { lines: part.lines, notes: growth };
}

/** A month's retention beyond the free days: the first month, then each month after it. */
const retentionRate = (price: RetentionPrice, months: number) =>
  price.firstMonth + (months - 1) * price.additionalMonth;

function performanceInsights(
  spec: DatabaseSpec,
  table: PriceTable,
  region: string,
  prices: RegionPrices | undefined,
): Part {
  const days = spec.performanceInsightsRetentionDays;
  if (!prices || !spec.performanceInsights || days === null || days <= FREE_RETENTION_DAYS) return note();
  const months = Math.ceil(days / RETENTION_MONTH_DAYS);
  const what = `Performance Insights, ${days} days retention`;
  if (spec.serverless) {
    const price = prices.performanceInsights.acuMonth;
    if (!price) return note(missing(`${what} (per ACU)`, region));
    const { minCapacity: min, maxCapacity: max } = spec.serverless;
    const perAcu = spec.instances * retentionRate(price, months);
    return line(`${what}: ${spec.instances} × ${min}-${max} ACU`, perAcu * min, perAcu * max);
  }
  const price = prices.performanceInsights.vcpuMonth;
  const vcpus = vcpusOf(table, spec.instanceClass ?? '');
  if (!price || vcpus === undefined) return note(missing(`${what} (per vCPU)`, region));
  // A Multi-AZ standby is billed like the instance it stands by.
  const copies = spec.deployment === 'instance' ? (spec.multiAz ? 2 : 1) : spec.instances;
  return line(`${what}: ${copies * vcpus} vCPU`, copies * vcpus * retentionRate(price, months));
}

/** What is never counted, in plain words, for this database. */
function alwaysLeftOut(spec: DatabaseSpec): string[] {
  return [
    ...(spec.storage ? [] : ['I/O: Aurora Standard bills each million I/O requests']),
    'Backup storage beyond the free allowance (as much as the database stores), and snapshots kept',
    'Data transfer out of the region or to the internet',
    ...(spec.performanceInsights ? ['Performance Insights API calls beyond the free tier'] : []),
    "CloudWatch Logs (exported logs, enhanced monitoring), the database's KMS key and the master user secret in Secrets Manager",
  ];
}

/** The region whose prices apply: the root's own, or the single root's stand-in (with a note saying so). */
function pricingRegion(spec: DatabaseSpec): { region: string; notes: string[] } {
  if (spec.account) return { region: spec.account.region, notes: [] };
  return {
    region: SINGLE_ROOT_PRICING_REGION,
    notes: [
      `Region: the single Terraform root sets it (providers.auto.tfvars), which the service does not read; priced at ${SINGLE_ROOT_PRICING_REGION}'s prices`,
    ],
  };
}

/** The estimate of a database as a creation would build it. */
export function estimateCost(spec: DatabaseSpec, table: PriceTable = PRICE_TABLE): CostEstimate {
  const { region, notes } = pricingRegion(spec);
  const prices = pricesIn(table, region);
  const parts = [
    compute(spec, region, prices),
    storage(spec, region, prices),
    performanceInsights(spec, table, region, prices),
  ];
  const lines = parts.flatMap((p) => p.lines);
  return {
    currency: 'USD',
    region,
    monthly: sum(lines),
    lines,
    before: null,
    difference: null,
    notCounted: dedupe([...notes, ...parts.flatMap((p) => p.notes), ...alwaysLeftOut(spec)]),
    prices: { source: table.source, date: table.date },
  };
}

/** A change: the database after it, with its estimate before and the difference (after − before). */
export function estimateChange(
  before: DatabaseSpec,
  after: DatabaseSpec,
  table: PriceTable = PRICE_TABLE,
): CostEstimate {
  const was = estimateCost(before, table);
  const will = estimateCost(after, table);
  return {
    ...will,
    before: was.monthly,
    difference: range(will.monthly.low - was.monthly.low, will.monthly.high - was.monthly.high),
    // A price missing before the change makes the difference as uncertain as one missing after it.
    notCounted: dedupe([...will.notCounted, ...missingPrices(was).map((n) => `Before the change: ${n}`)]),
  };
}

/** A retirement: nothing after it; the difference is today's estimate, saved. */
export function estimateRetirement(spec: DatabaseSpec, table: PriceTable = PRICE_TABLE): CostEstimate {
  const today = estimateCost(spec, table);
  return {
    ...today,
    monthly: range(0),
    lines: [],
    before: today.monthly,
    difference: range(-today.monthly.low, -today.monthly.high),
    notCounted: dedupe([
      ...missingPrices(today),
      'The final snapshot and the automated backups kept after the database goes: backup storage, per GB-month, until deleted',
      'Anything else the database leaves behind (its KMS key until its deletion window ends)',
    ]),
  };
}
