import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  estimateChange,
  estimateCost,
  estimateRetirement,
  missingPrices,
  SINGLE_ROOT_PRICING_REGION,
} from '../../src/domain/cost.js';
import { PRICE_TABLE, parsePriceTable } from '../../src/domain/price-table.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { packagedPolicy, policyWithLayout } from '../support/layouts.js';

/**
 * The estimate, priced from the table the regeneration script writes from the sample offer files
 * (test/fixtures/pricing): numbers these tests can state. eu-west-1 there: Aurora db.r7g.large $0.306/h,
 * db.t4g.medium $0.08/h; MySQL, MariaDB db.t4g.medium $0.068/h (Multi-AZ $0.136), PostgreSQL $0.072/h
 * ($0.144), db.r7g.large $0.25/h ($0.50); Serverless v2 $0.13/ACU-h; gp3 $0.127/GB-month ($0.254 Multi-AZ);
 * Aurora storage $0.11; Performance Insights $1.75 the first vCPU-month, $0.075 each further month, $0.88
 * and $0.037 per ACU-month. us-east-1: Aurora PostgreSQL db.r7g.large $0.276/h.
 */
const table = parsePriceTable(
  JSON.parse(readFileSync('test/fixtures/pricing/expected-price-table.json', 'utf8')),
);

function specOf(input: object, policy = packagedPolicy.policy): DatabaseSpec {
  const result = resolveRequest({ db_name: 'orders', ...input }, policy, { requestId: 'req-1' });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value.spec;
}

const auroraProd = specOf({ engine: 'postgres', environment: 'prod', owner: 'team-orders' });

describe('cost estimate of a creation', () => {
  it('Aurora provisioned: instance-hours × instances, 730 h a month, in the root region', () => {
    const cost = estimateCost(auroraProd, table);
    expect(cost.region).toBe('eu-west-1');
    expect(cost.currency).toBe('USD');
    expect(cost.lines).toEqual([
      { item: '2 × db.r7g.large (Aurora PostgreSQL), 730 h each', low: 446.76, high: 446.76 },
    ]);
    expect(cost.monthly).toEqual({ low: 446.76, high: 446.76 });
    expect(cost.before).toBeNull();
    expect(cost.difference).toBeNull();
    expect(cost.prices).toEqual({ source: table.source, date: table.date });
  });

  it('Aurora storage is billed by use: not counted, and said so with its price', () => {
    const { notCounted } = estimateCost(auroraProd, table);
    expect(notCounted).toContain(
      'Aurora storage: billed per GB-month of data stored ($0.11 in eu-west-1), which grows with the data',
    );
    expect(notCounted).toContain('I/O: Aurora Standard bills each million I/O requests');
    expect(notCounted).toContain(
      'Backup storage beyond the free allowance (as much as the database stores), and snapshots kept',
    );
    expect(notCounted).toContain('Data transfer out of the region or to the internet');
  });

  it('Aurora Serverless v2: a range from the minimum to the maximum ACU', () => {
    const cost = estimateCost(specOf({ engine: 'mysql', environment: 'dev' }), table);
    expect(cost.lines).toEqual([
      { item: '1 × Serverless v2 (Aurora MySQL), 0.5-2 ACU, 730 h each', low: 47.45, high: 189.8 },
    ]);
    expect(cost.monthly).toEqual({ low: 47.45, high: 189.8 });
  });

  it('an instance, Multi-AZ: the Multi-AZ instance and storage prices, allocated gp3 GB', () => {
    const spec = specOf({ engine: 'mariadb', environment: 'prod', deployment: 'instance', owner: 'o' });
    expect(spec.multiAz).toBe(true);
    const cost = estimateCost(spec, table);
    expect(cost.lines).toEqual([
      { item: '1 × db.r7g.large (MariaDB, Multi-AZ), 730 h each', low: 365, high: 365 },
      { item: '100 GB gp3 storage (Multi-AZ: a copy in each zone)', low: 25.4, high: 25.4 },
    ]);
    expect(cost.monthly).toEqual({ low: 390.4, high: 390.4 });
    expect(cost.notCounted).toContain('Storage autoscaling beyond the 100 GB allocated (up to 500 GB)');
    expect(cost.notCounted).not.toContain('I/O: Aurora Standard bills each million I/O requests');
  });

  it('an instance, Single-AZ, for each engine', () => {
    const hourly = { mysql: 0.068, postgres: 0.072, mariadb: 0.068 };
    for (const [engine, price] of Object.entries(hourly)) {
      const cost = estimateCost(specOf({ engine, environment: 'staging', deployment: 'instance' }), table);
      const names = { mysql: 'MySQL', postgres: 'PostgreSQL', mariadb: 'MariaDB' };
      expect(cost.lines).toEqual([
        {
          item: `1 × db.t4g.medium (${names[engine as keyof typeof names]}, Single-AZ), 730 h each`,
          low: Math.round(price * 730 * 100) / 100,
          high: Math.round(price * 730 * 100) / 100,
        },
        { item: '20 GB gp3 storage', low: 2.54, high: 2.54 },
      ]);
    }
  });

  it('Aurora MySQL provisioned and Serverless v2 PostgreSQL', () => {
    const mysql = estimateCost(specOf({ engine: 'mysql', environment: 'dev', deployment: 'aurora' }), table);
    expect(mysql.lines).toEqual([
      { item: '1 × db.t4g.medium (Aurora MySQL), 730 h each', low: 58.4, high: 58.4 },
    ]);
    const postgres = estimateCost(
      specOf({ engine: 'postgres', environment: 'dev', size: 'medium', instances: 2 }),
      table,
    );
    expect(postgres.lines).toEqual([
      { item: '2 × Serverless v2 (Aurora PostgreSQL), 1-8 ACU, 730 h each', low: 189.8, high: 1518.4 },
    ]);
  });

  it('Performance Insights: free for 7 days; beyond, the first month and each further one, per vCPU', () => {
    expect(estimateCost(auroraProd, table).lines.some((l) => l.item.includes('Performance Insights'))).toBe(
      false,
    );
    const cost = estimateCost({ ...auroraProd, performanceInsightsRetentionDays: 93 }, table);
    // 3 months: 1.75 + 2 × 0.075 per vCPU; 2 instances of 2 vCPUs.
    expect(cost.lines).toContainEqual({
      item: 'Performance Insights, 93 days retention: 4 vCPU',
      low: 7.6,
      high: 7.6,
    });
    expect(cost.monthly).toEqual({ low: 454.36, high: 454.36 });
    expect(cost.notCounted).toContain('Performance Insights API calls beyond the free tier');
  });

  it('Performance Insights of a Multi-AZ instance counts the standby; of Serverless v2, per ACU', () => {
    const instance = specOf({ engine: 'mysql', environment: 'prod', deployment: 'instance', owner: 'o' });
    const cost = estimateCost({ ...instance, performanceInsightsRetentionDays: 31 }, table);
    expect(cost.lines).toContainEqual({
      item: 'Performance Insights, 31 days retention: 4 vCPU',
      low: 7,
      high: 7,
    });
    const serverless = specOf({ engine: 'mysql', environment: 'staging' });
    const acu = estimateCost({ ...serverless, performanceInsightsRetentionDays: 62 }, table);
    // 2 months: 0.88 + 0.037 per ACU, 0.5 to 2 ACU.
    expect(acu.lines).toContainEqual({
      item: 'Performance Insights, 62 days retention: 1 × 0.5-2 ACU',
      low: 0.46,
      high: 1.83,
    });
  });
});

describe('cost estimate where the table has no price', () => {
  it('a class missing in the region: named in notCounted, no number made up, the rest still estimated', () => {
    const spec = specOf({ engine: 'postgres', environment: 'prod', size: 'xlarge', owner: 'o' });
    const cost = estimateCost(spec, table);
    expect(cost.lines).toEqual([]);
    expect(cost.monthly).toEqual({ low: 0, high: 0 });
    expect(missingPrices(cost)).toEqual([
      'No price in the table for db.r7g.2xlarge (Aurora PostgreSQL) instance-hours in eu-west-1: not counted',
    ]);
    const instance = specOf({
      engine: 'postgres',
      environment: 'prod',
      deployment: 'instance',
      size: 'large',
      owner: 'o',
    });
    const partial = estimateCost(instance, table);
    expect(missingPrices(partial)).toEqual([
      'No price in the table for db.r7g.xlarge (PostgreSQL, Multi-AZ) instance-hours in eu-west-1: not counted',
    ]);
    expect(partial.lines).toEqual([
      { item: '200 GB gp3 storage (Multi-AZ: a copy in each zone)', low: 50.8, high: 50.8 },
    ]);
  });

  it('a region missing from the table: nothing counted, and said so', () => {
    const cost = estimateCost({ ...auroraProd, account: { region: 'ap-south-1', roleArn: null } }, table);
    expect(cost.region).toBe('ap-south-1');
    expect(cost.lines).toEqual([]);
    expect(missingPrices(cost)).toEqual(['No price in the table for region ap-south-1: nothing is counted']);
  });

  it('Performance Insights retention without a price in the region', () => {
    const spec = specOf(
      { engine: 'postgres', environment: 'prod', owner: 'o' },
      policyWithLayout('single-root'),
    );
    const cost = estimateCost({ ...spec, performanceInsightsRetentionDays: 31 }, table);
    expect(missingPrices(cost)).toEqual([
      'No price in the table for Performance Insights, 31 days retention (per vCPU) in us-east-1: not counted',
    ]);
  });
});

describe('cost estimate of the single root', () => {
  it('is priced in us-east-1, and says why', () => {
    const spec = specOf(
      { engine: 'postgres', environment: 'prod', owner: 'o' },
      policyWithLayout('single-root'),
    );
    expect(spec.account).toBeNull();
    const cost = estimateCost(spec, table);
    expect(cost.region).toBe(SINGLE_ROOT_PRICING_REGION);
    expect(cost.lines).toEqual([
      { item: '2 × db.r7g.large (Aurora PostgreSQL), 730 h each', low: 402.96, high: 402.96 },
    ]);
    expect(cost.notCounted[0]).toBe(
      "Region: the single Terraform root sets it (providers.auto.tfvars), which the service does not read; priced at us-east-1's prices",
    );
  });
});

describe('cost estimate of a change and a retirement', () => {
  it('a change: the estimate after it, before it, and the difference', () => {
    const before = specOf({ engine: 'mysql', environment: 'dev' });
    const after = specOf({ engine: 'mysql', environment: 'dev', size: 'medium' });
    const cost = estimateChange(before, after, table);
    expect(cost.monthly).toEqual({ low: 94.9, high: 759.2 });
    expect(cost.before).toEqual({ low: 47.45, high: 189.8 });
    expect(cost.difference).toEqual({ low: 47.45, high: 569.4 });
    const more = estimateChange(auroraProd, { ...auroraProd, instances: 3 }, table);
    expect(more.difference).toEqual({ low: 223.38, high: 223.38 });
    const fewer = estimateChange({ ...auroraProd, instances: 3 }, auroraProd, table);
    expect(fewer.difference).toEqual({ low: -223.38, high: -223.38 });
  });

  it("a change from a class the table lacks names the missing price of before, as the difference's caveat", () => {
    const big = specOf({ engine: 'postgres', environment: 'prod', size: 'xlarge', owner: 'o' });
    const cost = estimateChange(big, auroraProd, table);
    expect(cost.notCounted).toContain(
      'Before the change: No price in the table for db.r7g.2xlarge (Aurora PostgreSQL) instance-hours in eu-west-1: not counted',
    );
  });

  it("a retirement: nothing after it; the difference is today's estimate, saved", () => {
    const cost = estimateRetirement(auroraProd, table);
    expect(cost.monthly).toEqual({ low: 0, high: 0 });
    expect(cost.lines).toEqual([]);
    expect(cost.before).toEqual({ low: 446.76, high: 446.76 });
    expect(cost.difference).toEqual({ low: -446.76, high: -446.76 });
    expect(cost.notCounted.some((n) => n.startsWith('The final snapshot'))).toBe(true);
    const serverless = estimateRetirement(specOf({ engine: 'mysql', environment: 'dev' }), table);
    expect(serverless.difference).toEqual({ low: -47.45, high: -189.8 });
  });

  it("by default uses the repository's table, and names its source and date", () => {
    const cost = estimateCost(auroraProd);
    expect(cost.prices).toEqual({ source: PRICE_TABLE.source, date: PRICE_TABLE.date });
  });
});
