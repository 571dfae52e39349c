import { describe, expect, it } from 'vitest';
import { withoutMarker } from '../../src/render/pull-request-marker.js';
import { markdownHtml } from '../../web/markdown.js';

/** The page's Markdown renderer for a pull request's description (web/markdown.ts), run as the page runs it. */
describe("the page's Markdown renderer", () => {
  it('shows raw HTML as text: no tag, comment or script of the text reaches the page', () => {
    const html = markdownHtml(
      '<img src=x onerror=alert(1)> <script>alert(1)</script>\n\n<div style="color:red">x</div>\n\n<!-- note -->',
    );
    expect(html).not.toMatch(/<(img|script|div)\b/);
    expect(html).not.toContain('<!--');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;!-- note --&gt;');
  });

  it('makes no link of a bare URL, no javascript: link and no image', () => {
    expect(markdownHtml('see https://evil.example and www.evil.example')).not.toContain('<a');
    expect(markdownHtml('[x](javascript:alert(1))')).not.toContain('<a');
    expect(markdownHtml('![tracker](https://evil.example/pixel.png)')).not.toContain('<img');
    // A link written as one opens in a new tab, with no opener and no referrer.
    expect(markdownHtml('[docs](https://example.com/)')).toContain(
      '<a href="https://example.com/" target="_blank" rel="noopener noreferrer">docs</a>',
    );
  });

  it('writes no style attribute (the CSP allows none): table alignment is a class', () => {
    const html = markdownHtml('| a | b |\n| :-: | --: |\n| 1 | 2 |');
    expect(html).not.toContain('style=');
    expect(html).toContain('<th class="align-center">a</th>');
    expect(html).toContain('<td class="align-right">2</td>');
  });

  it("nests the description's headings under the panel's own", () => {
    expect(markdownHtml('# One\n\n## Two\n\n##### Five')).toBe('<h3>One</h3>\n<h4>Two</h4>\n<h6>Five</h6>\n');
  });

  it('shows a pull request body without its marker, its table as a table', () => {
    const body = [
      '<!-- rds-provisioner request-id: req-1 -->',
      '',
      '- Requested by: `eve <b>x</b> @octocat`',
      '',
      '| Setting | Value |',
      '| --- | --- |',
      '| Owner | `a \\| b` |',
    ].join('\n');
    const html = markdownHtml(withoutMarker(body));
    expect(html).not.toContain('request-id');
    expect(html).toContain('<li>Requested by: <code>eve &lt;b&gt;x&lt;/b&gt; @octocat</code></li>');
    expect(html).toContain('<td>Owner</td>\n<td><code>a | b</code></td>');
  });
});
