import MarkdownIt from 'markdown-it';

/**
 * A pull request's description and the service's comments as the page shows them: Markdown rendered by
 * markdown-it with raw HTML off (any `<tag>` in the text is shown as text) and no bare-URL links. The
 * output fits the page's Content Security Policy: no style attributes (table alignment becomes a class)
 * and no images from elsewhere. A comment carries the pipeline's report, so its renderer makes no link
 * at all: a link written in it stays text.
 */
const markdown = new MarkdownIt('default', { html: false, linkify: false, typographer: false });
markdown.disable('image');
const commentMarkdown = new MarkdownIt('default', { html: false, linkify: false, typographer: false });
commentMarkdown.disable(['image', 'link', 'reference', 'autolink']);

type CoreRule = Parameters<typeof markdown.core.ruler.push>[1];

/**
 * GitHub's alerts: a quote that starts with `[!CAUTION]` (or NOTE, TIP, IMPORTANT, WARNING) alone on its
 * line is shown as a titled box, as on GitHub (a retirement's body opens with one). The title comes from
 * this table, never from the text. Runs on the block tokens, before their inline text is parsed.
 */
const ALERTS: Record<string, string> = {
  note: 'Note',
  tip: 'Tip',
  important: 'Important',
  warning: 'Warning',
  caution: 'Caution',
};
const githubAlerts: CoreRule = (state) => {
  const tokens = state.tokens;
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [open, paragraph, inline] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (open?.type !== 'blockquote_open' || paragraph?.type !== 'paragraph_open' || !inline) continue;
    const marker = /^\[!(\w+)\][ \t]*(?:\n|$)/.exec(inline.content);
    const kind = marker?.[1]?.toLowerCase() ?? '';
    if (!marker || !Object.hasOwn(ALERTS, kind)) continue;
    inline.content = inline.content.slice(marker[0].length);
    open.tag = 'div';
    open.attrJoin('class', `markdown-alert markdown-alert-${kind}`);
    const close = tokens.slice(i).find((t) => t.type === 'blockquote_close' && t.level === open.level);
    if (close) close.tag = 'div';
    const title = new state.Token('paragraph_open', 'p', 1);
    title.block = true;
    title.attrJoin('class', 'markdown-alert-title');
    const text = new state.Token('inline', '', 0);
    text.content = ALERTS[kind] as string;
    text.children = [];
    const end = new state.Token('paragraph_close', 'p', -1);
    end.block = true;
    // A marker alone in its paragraph leaves the paragraph empty: the title takes its place.
    const emptied = inline.content.trim() === '';
    tokens.splice(i + 1, emptied ? 3 : 0, title, text, end);
  }
};

/**
 * GitHub's `<sub>` around a whole paragraph (the plan comment's closing line): shown as small print. Only
 * the wrapper goes; what it holds stays text, rendered like any other paragraph.
 */
const smallPrint: CoreRule = (state) => {
  const tokens = state.tokens;
  for (let i = 0; i + 1 < tokens.length; i++) {
    const [open, inline] = [tokens[i], tokens[i + 1]];
    if (open?.type !== 'paragraph_open' || inline?.type !== 'inline') continue;
    const wrapped = /^<sub>([^<>]*)<\/sub>$/.exec(inline.content.trim());
    if (!wrapped) continue;
    inline.content = wrapped[1] ?? '';
    open.attrJoin('class', 'small-print');
  }
};

const fitThePanel: CoreRule = (state) => {
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
};

for (const renderer of [markdown, commentMarkdown]) {
  renderer.core.ruler.after('block', 'github_alerts', githubAlerts);
  renderer.core.ruler.after('github_alerts', 'small_print', smallPrint);
  renderer.core.ruler.push('fit_the_panel', fitThePanel);
}

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

/** A comment the service wrote from the pipeline's report: as markdownHtml, and no link of any kind. */
export function commentHtml(text: string): string {
  return commentMarkdown.render(text);
}
