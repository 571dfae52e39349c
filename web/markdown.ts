import MarkdownIt from 'markdown-it';

/**
 * A pull request's description as the page shows it: Markdown rendered by markdown-it with raw HTML off
 * (any `<tag>` in the text is shown as text) and no bare-URL links. The output fits the page's Content
 * Security Policy: no style attributes (table alignment becomes a class) and no images from elsewhere.
 */
const markdown = new MarkdownIt('default', { html: false, linkify: false, typographer: false });
markdown.disable('image');

markdown.core.ruler.push('fit_the_panel', (state) => {
  for (const token of state.tokens) {
    // The description sits under the panel's h2 and its "Description" h3.
    if (token.type === 'heading_open' || token.type === 'heading_close')
      token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + 2)}`;
    const align = /^text-align:(left|center|right)$/.exec(String(token.attrGet('style') ?? ''))?.[1];
    if (align) {
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style');
      token.attrJoin('class', `align-${align}`);
    }
  }
  return true;
});

markdown.renderer.rules.link_open = (tokens, index, options, _env, self) => {
  const token = tokens[index];
  token?.attrSet('target', '_blank');
  token?.attrSet('rel', 'noopener noreferrer');
  return self.renderToken(tokens, index, options);
};

/** The Markdown `text` as HTML in which every character of the text is escaped: no tag of its own. */
export function markdownHtml(text: string): string {
  return markdown.render(text);
}
