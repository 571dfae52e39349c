import * as z from 'zod';
import { ownValue } from './own-keys.js';
import table from './price-table.json' with { type: 'json' };
import type { AwsEngine } from './spec.js';

/**
 * The on-demand prices the cost estimate uses, in USD, read from AWS's public price list (the AmazonRDS
 * offer files) by scripts/price-table.mjs and kept in the repository as ./price-table.json. Pure: the
 * table is data; this module states its shape and looks prices up in it.
 */

const usd = z.number().nonnegative();
/** An engine as the module and the spec name it (aurora-mysql, postgres…), from the offer's databaseEngine. */
const engine = z.enum(['aurora-mysql', 'aurora-postgresql', 'mysql', 'postgres', 'mariadb']);
/** What the first month beyond the free 7 days costs, and each month after it. */
const retention = z.strictObject({ firstMonth: usd, additionalMonth: usd });

const regionPrices = z.strictObject({
  /** USD per instance-hour, by engine and class: Single-AZ, and Multi-AZ where RDS offers it (not Aurora). */
  instanceHour: z.partialRecord(
    engine,
    z.record(z.string(), z.strictObject({ singleAz: usd.optional(), multiAz: usd.optional() })),
  ),
  /** USD per ACU-hour of Aurora Serverless v2 (Aurora Standard). */
  serverlessAcuHour: z.partialRecord(engine, usd),
  /** USD per GB-month of gp3 storage allocated to an instance; Multi-AZ keeps a second copy, priced apart. */
  gp3GbMonth: z.strictObject({ singleAz: usd.optional(), multiAz: usd.optional() }),
  /** USD per GB-month of Aurora storage used (Aurora Standard). */
  auroraStorageGbMonth: z.partialRecord(engine, usd),
  /** Performance Insights retention beyond the free 7 days: per vCPU-month (provisioned), per ACU-month (Serverless v2). */
  performanceInsights: z.strictObject({ vcpuMonth: retention.optional(), acuMonth: retention.optional() }),
});

export const priceTableSchema = z.strictObject({
  /** Where the prices come from: the offer files, their version. */
  source: z.string().min(1),
  /** The offer files' publication date (YYYY-MM-DD). */
  date: z.iso.date(),
  /** vCPUs of each instance class (the offer's `vcpu`), for Performance Insights retention. */
  vcpus: z.record(z.string(), z.number().int().positive()),
  regions: z.record(z.string(), regionPrices),
});

export type PriceTable = z.infer<typeof priceTableSchema>;
export type RegionPrices = z.infer<typeof regionPrices>;
export type RetentionPrice = z.infer<typeof retention>;

/** Checks a table's shape, e.g. one the script wrote; throws naming the bad key. */
export function parsePriceTable(value: unknown): PriceTable {
  const parsed = priceTableSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new Error(`price table: ${first?.path.join('.') || '(root)'}: ${first?.message ?? 'invalid'}`);
}

/** The table kept in the repository. */
export const PRICE_TABLE: PriceTable = parsePriceTable(table);

/** Hours in a month, as AWS's own calculator counts them (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;

/** A region's prices, looked up as an own key (a region name is never `constructor`). */
export const pricesIn = (t: PriceTable, region: string): RegionPrices | undefined =>
  ownValue(t.regions, region);

export function instanceHourPrice(
  prices: RegionPrices,
  awsEngine: AwsEngine,
  instanceClass: string,
  multiAz: boolean,
): number | undefined {
  const byClass = ownValue(prices.instanceHour, awsEngine);
  const entry = byClass ? ownValue(byClass, instanceClass) : undefined;
  return multiAz ? entry?.multiAz : entry?.singleAz;
}

export const serverlessAcuHourPrice = (prices: RegionPrices, awsEngine: AwsEngine): number | undefined =>
  ownValue(prices.serverlessAcuHour, awsEngine);

export const auroraStoragePrice = (prices: RegionPrices, awsEngine: AwsEngine): number | undefined =>
  ownValue(prices.auroraStorageGbMonth, awsEngine);

export const gp3StoragePrice = (prices: RegionPrices, multiAz: boolean): number | undefined =>
  multiAz ? prices.gp3GbMonth.multiAz : prices.gp3GbMonth.singleAz;

export const vcpusOf = (t: PriceTable, instanceClass: string): number | undefined =>
  ownValue(t.vcpus, instanceClass);
