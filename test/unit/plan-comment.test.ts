import { describe, expect, it } from 'vitest';
import type { PlanReport } from '../../src/domain/reports.js';
import { PLAN_COMMENT_MARKER, renderPlanComment } from '../../src/render/plan-comment.js';

const report = (databases: PlanReport['databases']): PlanReport => ({
  commit: '0123456789abcdef0123456789abcdef01234567',
  pullRequest: 4,
  digest: 'x',
  reportedAt: '2026-12-06T10:00:00.000Z',
  terraformVersion: '1.11.4',
  databases,
  other: { add: 0, change: 0, destroy: 0, replace: 0 },
});

const db = (dbName: string, extra: Partial<PlanReport['databases'][number]> = {}) => ({
  dbName,
  add: 0,
  change: 1,
  destroy: 0,
  replace: 0,
  destroyed: [],
  replaced: [],
  databaseDestroyed: false,
  unexpected: false,
  ...extra,
});

describe('the plan comment on a pull request', () => {
  it('carries its marker, a row per database, and no warning for an in-place change', () => {
    const text = renderPlanComment(report([db('orders')]));
    expect(text.startsWith(`${PLAN_COMMENT_MARKER}\n`)).toBe(true);
    expect(text).toContain('| `orders` | 0 | 1 | 0 | 0 |');
    expect(text).not.toContain('[!WARNING]');
    expect(text).not.toContain('[!CAUTION]');
  });

  it('warns of every destroy and replacement, and flags loudly a database the request did not ask to retire', () => {
    const text = renderPlanComment(
      report([
        db('orders', {
          destroy: 1,
          replace: 1,
          destroyed: ['module.orders.aws_db_parameter_group.this'],
          replaced: ['module.orders.aws_rds_cluster.this'],
          databaseDestroyed: true,
          unexpected: true,
        }),
      ]),
    );
    expect(text).toContain('> [!CAUTION]');
    expect(text).toContain(
      'destroys or replaces database `orders`, and this request did not ask to retire it',
    );
    expect(text).toContain('> - destroyed: `module.orders.aws_db_parameter_group.this`');
    expect(text).toContain(
      '> - replaced (destroyed and created again): `module.orders.aws_rds_cluster.this`',
    );
  });

  it('neutralises names from the document: no mention, link or HTML reaches Markdown', () => {
    const text = renderPlanComment(
      report([
        db('@org/team <img src=x onerror=alert(1)> [x](https://evil.example)', {
          destroyed: ['a|b'],
          destroy: 1,
        }),
      ]),
    );
    expect(text).toContain('`@org/team <img src=x onerror=alert(1)> [x](https://evil.example)`');
    expect(text).not.toMatch(/(^|[^`])@org/);
    expect(text).toContain('> - destroyed: `a|b`');
  });
});
