import type { FieldIssue } from './api.js';
import { describedBy, h } from './dom.js';

/**
 * A refused form's problems, shown the way every form of the page shows them: each beside its field
 * (aria-invalid, a message tied by aria-describedby) and all of them in a summary that links to the fields
 * and takes focus. An issue for no known field (`(body)`) goes in the summary only.
 */

export type Control = HTMLInputElement | HTMLSelectElement;

/** A field as its issues are shown. */
export interface IssueField {
  label: string;
  /** Marked `field-invalid`. */
  container: HTMLElement;
  /** The message beside the field; it has an id. */
  error: HTMLElement;
  /** What the summary's link to the field focuses. */
  focusTarget: HTMLElement;
  /** The controls an issue marks; `key` is the entry of a map the issue names (`tags.team`), if any. */
  controls(key?: string): Control[];
}

export function showFieldIssues(
  issues: FieldIssue[],
  summary: HTMLElement,
  fieldOf: (name: string) => IssueField | undefined,
  fields: Iterable<IssueField>,
  bodyLabel: string,
): void {
  clearFieldIssues(summary, fields);
  const messages = new Map<IssueField, string[]>();
  const invalid = new Map<IssueField, Set<Control>>();
  const items: HTMLElement[] = [];
  for (const issue of issues) {
    const [head = '', ...rest] = issue.path.split(/[.[]/);
    const sub = rest.join('.').replace(/\]$/, '');
    const field = fieldOf(head);
    const label = field ? field.label : issue.path === '(body)' ? bodyLabel : issue.path;
    const subject = sub ? `${label} (${sub})` : label;
    if (field) {
      messages.set(field, [
        ...(messages.get(field) ?? []),
        sub ? `${subject}: ${issue.message}` : issue.message,
      ]);
      const controls = invalid.get(field) ?? new Set<Control>();
      const matched = sub ? field.controls(sub) : [];
      for (const control of matched.length ? matched : field.controls()) controls.add(control);
      invalid.set(field, controls);
    }
    const text = `${subject}: ${issue.message}`;
    items.push(h('li', {}, field ? summaryLink(text, field.focusTarget) : text));
  }
  for (const [field, list] of messages) {
    field.error.replaceChildren(h('span', { class: 'visually-hidden' }, 'Error: '), list.join('; '));
    field.error.hidden = false;
    field.container.classList.add('field-invalid');
    for (const control of invalid.get(field) ?? []) {
      control.setAttribute('aria-invalid', 'true');
      describedBy(control, field.error.id, true);
    }
  }
  summary.replaceChildren(
    h(
      'h2',
      { class: 'error-summary-title' },
      issues.length === 1 ? 'There is a problem' : `There are ${issues.length} problems`,
    ),
    h('ul', {}, ...items),
  );
  summary.hidden = false;
  summary.focus();
}

export function clearFieldIssues(summary: HTMLElement, fields: Iterable<IssueField>): void {
  summary.hidden = true;
  summary.replaceChildren();
  for (const field of fields) {
    field.error.hidden = true;
    field.error.textContent = '';
    field.container.classList.remove('field-invalid');
    for (const control of field.controls()) {
      control.removeAttribute('aria-invalid');
      describedBy(control, field.error.id, false);
    }
  }
}

function summaryLink(text: string, target: HTMLElement): HTMLAnchorElement {
  const link = h('a', { href: `#${target.id}` }, text);
  link.addEventListener('click', (event) => {
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: 'center' });
  });
  return link;
}
