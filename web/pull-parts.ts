import { withoutMarker } from '../src/render/pull-request-marker.js';
import type { PullRequestDetail } from './api.js';
import { h, renderedHtml, timeElement } from './dom.js';
import { commentHtml, markdownHtml } from './markdown.js';

/**
 * What the page shows of a pull request, wherever it shows one (the review panel, a change's or a
 * retirement's preview): its description as rendered Markdown and its diff as text, line by line.
 */

/** The description, its hidden marker left out, rendered by markdown.ts (raw HTML shown as text). */
export function pullRequestBody(body: string, id: string): HTMLElement {
  const description = withoutMarker(body);
  return description.trim()
    ? h('div', { class: 'pull-body', id }, renderedHtml(markdownHtml(description)))
    : h('p', { class: 'muted', id }, 'No description.');
}

/**
 * The service's comments on the pull request (the plan CI reported, edited in place), each rendered by
 * markdown.ts's comment renderer: its text is the pipeline's, so raw HTML stays text and nothing becomes
 * a link. The hidden marker line that keeps it one comment is left out.
 */
export function serviceComments(comments: PullRequestDetail['comments'], id: string): Node[] {
  return [
    h('h3', { id: `${id}-title` }, 'Comments from the service'),
    comments.length
      ? h(
          'div',
          { id, class: 'pull-comments' },
          ...comments.map((comment) =>
            h(
              'article',
              { class: 'pull-comment', 'data-marker': comment.marker, 'aria-labelledby': `${id}-title` },
              h(
                'div',
                { class: 'pull-body' },
                renderedHtml(commentHtml(withoutLine(comment.body, comment.marker))),
              ),
              h('p', { class: 'hint' }, 'Updated ', timeElement(comment.updated_at), '.'),
            ),
          ),
        )
      : h(
          'p',
          { id, class: 'muted' },
          'None yet: once CI plans this pull request, the plan’s summary appears here.',
        ),
  ];
}

/** The text without any line that is exactly `line` (the comment's marker). */
const withoutLine = (text: string, line: string) =>
  text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== line.trim())
    .join('\n')
    .trim();

/** A heading, how to read the diff, and the diff in a scroll box that the keyboard reaches. */
export function diffSection(
  diff: string,
  ids: { title: string; hint: string; pre: string },
  heading: { text: string; level: 'h3' | 'h4' | 'h5' } = { text: 'Changes', level: 'h3' },
): Node[] {
  return [
    h(heading.level, { id: ids.title }, heading.text),
    h(
      'p',
      { class: 'hint', id: ids.hint },
      'Lines starting with + are added, lines starting with - are removed.',
    ),
    diff
      ? h(
          'section',
          {
            class: 'code-wrap',
            'aria-labelledby': ids.title,
            'aria-describedby': ids.hint,
            // A scrollable region must be reachable by keyboard.
            tabindex: 0,
          },
          h('pre', { class: 'diff', id: ids.pre }, h('code', {}, ...diffLines(diff))),
        )
      : h('p', { class: 'muted' }, 'No changes.'),
  ];
}

/** One element per diff line, its +/- prefix kept: colour only repeats what the prefix says. */
export function diffLines(diff: string): Node[] {
  const lines = diff.replace(/\n$/, '').split('\n');
  return lines.map((line) => {
    let kind = 'context';
    if (line.startsWith('+++') || line.startsWith('---')) kind = 'file';
    else if (line.startsWith('+')) kind = 'add';
    else if (line.startsWith('-')) kind = 'del';
    else if (line.startsWith('@@')) kind = 'hunk';
    else if (/^(diff |index |new file|deleted file|similarity|rename |old mode|new mode)/.test(line))
      kind = 'file';
    return h('span', { class: `diff-line diff-${kind}` }, `${line}\n`);
  });
}
