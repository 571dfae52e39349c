import { describe, expect, it } from 'vitest';
import { renderPlanComment } from '../../src/render/plan-comment.js';
import { commentHtml } from '../../web/markdown.js';

/**
 * The page's renderer for the service's pull request comments (web/markdown.ts): the plan comment carries
 * the pipeline's text, so beyond the description's rules (raw HTML shown as text, no image) nothing in it
 * becomes a link, however it is written.
 */
describe("the page's renderer for the service's comments", () => {
  it('makes no link of any kind: inline, reference, autolink or bare URL', () => {
    const html = commentHtml(
      [
        '[inline](https://evil.example/a) and [ref][r] and <https://evil.example/b> and https://evil.example/c',
        '',
        '[r]: https://evil.example/ref',
      ].join('\n'),
    );
    expect(html).not.toContain('<a');
    expect(html).not.toContain('href');
    expect(html).toContain('[inline](https://evil.example/a)');
    // A reference definition stays as text instead of vanishing.
    expect(html).toContain('[r]: https://evil.example/ref');
  });

  it('shows raw HTML as text, and no image', () => {
    const html = commentHtml(
      '<img src=x onerror=alert(1)> ![p](https://evil.example/p.png) <script>x</script>',
    );
    expect(html).not.toMatch(/<(img|script)\b/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('renders the plan comment: its caution and warning boxes, its table, its closing line as small print', () => {
    const body = renderPlanComment({
      commit: 'a'.repeat(40),
      pullRequest: 3,
      digest: 'd',
      reportedAt: '2026-12-06T02:00:00.000Z',
      terraformVersion: '1.11.4',
      databases: [
        {
          dbName: 'orders',
          add: 0,
          change: 0,
          destroy: 1,
          replace: 1,
          destroyed: ['module.orders.aws_db_parameter_group.this["[x](https://evil.example/) <b>"]'],
          replaced: ['module.orders.aws_rds_cluster.this'],
          databaseDestroyed: true,
          unexpected: true,
        },
      ],
      other: { add: 0, change: 0, destroy: 0, replace: 0 },
    });
    const html = commentHtml(body);
    expect(html).toContain('<div class="markdown-alert markdown-alert-caution">');
    expect(html).toContain('<div class="markdown-alert markdown-alert-warning">');
    expect(html).toContain('<td><code>orders</code></td>');
    expect(html).toMatch(
      /<p class="small-print">Reported by the pipeline at <code>2026-12-06T02:00:00.000Z<\/code>/,
    );
    expect(html).not.toContain('&lt;sub&gt;');
    expect(html).not.toContain('<a');
    expect(html).toContain('[x](https://evil.example/) &lt;b&gt;');
  });

  it('keeps <sub> as text where it does not wrap a whole paragraph', () => {
    expect(commentHtml('a <sub>b</sub> c')).toBe('<p>a &lt;sub&gt;b&lt;/sub&gt; c</p>\n');
    expect(commentHtml('<sub>a <b>c</b></sub>')).toContain('&lt;sub&gt;');
  });
});
