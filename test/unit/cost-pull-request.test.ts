import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { estimateChange, estimateCost, estimateRetirement } from '../../src/domain/cost.js';
import { PRICE_TABLE, parsePriceTable } from '../../src/domain/price-table.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import type { DatabaseSpec } from '../../src/domain/spec.js';
import { costSection, monthlyText } from '../../src/render/cost-section.js';
import { renderPullRequest } from '../../src/render/pull-request.js';
import { renderChangePullRequest } from '../../src/render/pull-request-change.js';
import { renderRetirePullRequest } from '../../src/render/pull-request-retire.js';
import { packagedPolicy } from '../support/layouts.js';

/** The table the script writes from the sample offer files (test/fixtures/pricing): exact numbers. */
const table = parsePriceTable(
  JSON.parse(readFileSync('test/fixtures/pricing/expected-price-table.json', 'utf8')),
);

function specOf(input: object, requestId = 'req-1'): DatabaseSpec {
  const result = resolveRequest({ db_name: 'orders', ...input }, packagedPolicy.policy, { requestId });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value.spec;
}

const auroraProd = specOf({ engine: 'postgres', environment: 'prod', owner: 'team-orders' });
const serverlessDev = specOf({ engine: 'mysql', environment: 'dev' });
const context = { requester: 'alice', policySource: 'config/policy.yaml', branch: 'b', base: 'main' };

/** A body's section, from its `## heading` to the next. */
function section(body: string, heading: string): string {
  const start = body.indexOf(`## ${heading}\n`);
  if (start === -1) throw new Error(`no section ${heading}`);
  const next = body.indexOf('\n## ', start + 1);
  return body.slice(start, next === -1 ? undefined : next);
}

describe('the Estimated cost section', () => {
  it("a creation: the monthly USD, its lines, what is not counted, the prices' source and date", () => {
    expect(costSection(estimateCost(auroraProd, table), 'create')).toEqual([
      '## Estimated cost',
      '',
      'About $446.76 a month in `eu-west-1`, on-demand.',
      '',
      '- 2 × db.r7g.large (Aurora PostgreSQL), 730 h each: $446.76',
      '',
      'Not counted:',
      '',
      '- Aurora storage: billed per GB-month of data stored ($0.11 in eu-west-1), which grows with the data',
      '- I/O: Aurora Standard bills each million I/O requests',
      '- Backup storage beyond the free allowance (as much as the database stores), and snapshots kept',
      '- Data transfer out of the region or to the internet',
      '- Performance Insights API calls beyond the free tier',
      "- CloudWatch Logs (exported logs, enhanced monitoring), the database's KMS key and the master user secret in Secrets Manager",
      '',
      `Prices: ${table.source}, 2026-11-20.`,
    ]);
  });

  it('Serverless v2: a range', () => {
    const lines = costSection(estimateCost(serverlessDev, table), 'create');
    expect(lines[2]).toBe('About $47.45–$189.80 a month in `eu-west-1`, on-demand.');
    expect(lines[4]).toBe('- 1 × Serverless v2 (Aurora MySQL), 0.5-2 ACU, 730 h each: $47.45–$189.80');
  });

  it('a change: after it, before it, and the difference', () => {
    const bigger = specOf({ engine: 'mysql', environment: 'dev', size: 'medium' });
    expect(costSection(estimateChange(serverlessDev, bigger, table), 'change')[2]).toBe(
      'After the change, about $94.90–$759.20 a month in `eu-west-1`, on-demand; before it, $47.45–$189.80: +$47.45 to +$569.40 a month.',
    );
    const fewer = estimateChange({ ...auroraProd, instances: 3 }, auroraProd, table);
    expect(costSection(fewer, 'change')[2]).toBe(
      'After the change, about $446.76 a month in `eu-west-1`, on-demand; before it, $670.14: -$223.38 a month.',
    );
  });

  it('a retirement: the monthly saving', () => {
    const lines = costSection(estimateRetirement(auroraProd, table), 'retire');
    expect(lines[2]).toBe(
      'Retiring it saves about $446.76 a month: what it is estimated to cost in `eu-west-1`, on-demand, today.',
    );
    expect(lines).toContain(
      '- The final snapshot and the automated backups kept after the database goes: backup storage, per GB-month, until deleted',
    );
  });

  it('a price the table lacks: the total says it covers only what is priced, and names what is not', () => {
    const xlarge = specOf({ engine: 'postgres', environment: 'prod', size: 'xlarge', owner: 'o' });
    const lines = costSection(estimateCost(xlarge, table), 'create');
    expect(lines[2]).toBe(
      'No estimate in `eu-west-1`, on-demand: the price table has no price for what this database uses (see below).',
    );
    const instance = specOf({
      engine: 'postgres',
      environment: 'prod',
      deployment: 'instance',
      size: 'large',
      owner: 'o',
    });
    expect(costSection(estimateCost(instance, table), 'create')[2]).toBe(
      'About $50.80 a month in `eu-west-1`, on-demand, for what the price table prices (see below).',
    );
    expect(lines).toContain(
      '- No price in the table for db.r7g.2xlarge (Aurora PostgreSQL) instance-hours in eu-west-1: not counted',
    );
  });
});

describe('pull request bodies carry the Estimated cost section, before what happens next', () => {
  it('a creation', () => {
    const { body } = renderPullRequest({ spec: serverlessDev, ...context });
    const cost = section(body, 'Estimated cost');
    expect(cost).toContain(`About ${monthlyText(estimateCost(serverlessDev).monthly)} a month`);
    expect(cost).toContain(`Prices: ${PRICE_TABLE.source}, ${PRICE_TABLE.date}.`);
    expect(body.indexOf('## Estimated cost')).toBeLessThan(body.indexOf('## What happens next'));
  });

  it('a change, with the difference', () => {
    const after = specOf({ engine: 'mysql', environment: 'dev', size: 'medium' }, 'req-2');
    const { body } = renderChangePullRequest({
      before: serverlessDev,
      after,
      change: { size: 'medium' },
      ...context,
    });
    const cost = section(body, 'Estimated cost');
    expect(cost).toContain('After the change, about');
    expect(cost).toContain(`before it, ${monthlyText(estimateCost(serverlessDev).monthly)}`);
    expect(body.indexOf('## Estimated cost')).toBeLessThan(body.indexOf('## What happens next'));
  });

  it('a retirement, in either step, with the saving', () => {
    const remove = renderRetirePullRequest({
      requestId: 'req-3',
      spec: serverlessDev,
      step: 'remove',
      keepsFinalSnapshot: false,
      ...context,
    }).body;
    expect(section(remove, 'Estimated cost')).toContain('Retiring it saves about');
    expect(remove.indexOf('## Estimated cost')).toBeLessThan(remove.indexOf('## What happens next'));
    const staging = specOf({ engine: 'mysql', environment: 'staging' });
    expect(staging.deletionProtection).toBe(true);
    const unprotect = renderRetirePullRequest({
      requestId: 'req-4',
      spec: staging,
      step: 'unprotect',
      unprotected: { ...staging, deletionProtection: false },
      keepsFinalSnapshot: true,
      ...context,
    }).body;
    expect(section(unprotect, 'Estimated cost')).toContain('Retiring it saves about');
  });
});
