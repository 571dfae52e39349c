/**
 * A few DOM helpers: elements are built with text nodes only, never from HTML strings, except the one
 * made by the page's own Markdown renderer (markdown.ts: raw HTML off), through `renderedHtml`.
 */

type Attr = string | number | boolean | null | undefined;
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** HTML from markdown.ts as nodes, parsed in an inert document: nothing in it runs or loads. */
export function renderedHtml(html: string): DocumentFragment {
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  const fragment = document.createDocumentFragment();
  fragment.append(...Array.from(parsed.body.childNodes, (node) => document.adoptNode(node)));
  return fragment;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Adds or removes one id in an aria-describedby list, keeping the others. */
export function describedBy(element: Element, id: string, on: boolean): void {
  const ids = new Set((element.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean));
  if (on) ids.add(id);
  else ids.delete(id);
  if (ids.size) element.setAttribute('aria-describedby', [...ids].join(' '));
  else element.removeAttribute('aria-describedby');
}

export function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}

/** "just now", "4 min ago", "3 h ago", "2 days ago". */
export function age(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

export function timeElement(iso: string): HTMLTimeElement {
  const date = new Date(iso);
  const title = Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
  return h('time', { datetime: iso, title, 'data-age': '' }, age(iso));
}

/** A moment as a date and time in the reader's locale ("Dec 6, 2026, 6:31 PM"), exact in its tooltip. */
export function dateElement(iso: string): HTMLTimeElement {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h('time', { datetime: iso }, iso);
  const text = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return h('time', { datetime: iso, title: date.toISOString() }, text);
}

/** Refreshes every relative time on the page. */
export function refreshAges(root: ParentNode = document): void {
  for (const time of root.querySelectorAll<HTMLTimeElement>('time[data-age]')) {
    time.textContent = age(time.dateTime);
  }
}

export type Tone = 'info' | 'error' | 'success' | 'warning';

/** Shows `text` (and `extra`) in a message box; an error is an alert, anything else a status. */
export function message(target: HTMLElement, text: string, tone: Tone = 'info', ...extra: Child[]): void {
  target.className = `message message-${tone}`;
  target.replaceChildren(text);
  append(target, ...extra);
  target.setAttribute('role', tone === 'error' ? 'alert' : 'status');
  show(target, true);
}

export function clearMessage(target: HTMLElement): void {
  target.replaceChildren();
  show(target, false);
}

/** Says `text` to a screen reader through the page's polite live region. */
export function announce(text: string): void {
  const announcer = byId('announcer');
  // Cleared first so the same words twice are announced twice.
  announcer.textContent = '';
  window.setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

export const scrollBehavior = (): ScrollBehavior =>
  window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth';

/**
 * A table of records with a caption for screen readers. Explicit roles: on a narrow screen the rows are
 * laid out as cards (styles.css) and keep their table semantics.
 */
export function dataTable(
  attrs: Record<string, Attr>,
  caption: string,
  headers: string[],
  tbody: HTMLTableSectionElement,
): HTMLTableElement {
  return h(
    'table',
    { ...attrs, class: 'data-table', role: 'table' },
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      { role: 'rowgroup' },
      h(
        'tr',
        { role: 'row' },
        ...headers.map((text) => h('th', { scope: 'col', role: 'columnheader' }, text)),
      ),
    ),
    tbody,
  );
}

/** A setting's value, or "unknown" (a file the service did not write names none). */
export const orUnknown = (value: string | number | null): Child =>
  value === null ? h('span', { class: 'muted' }, 'unknown') : String(value);

/** A cell of a data table, labelled for its card on a narrow screen. */
export const dataCell = (label: string, ...children: Child[]) =>
  h('td', { 'data-label': label, role: 'cell' }, ...children);

/** A `<dl>` of label and value pairs. */
export function definitionList(
  attrs: Record<string, Attr>,
  rows: [string, Child | Child[]][],
): HTMLDListElement {
  return h(
    'dl',
    attrs,
    ...rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, ...[value].flat())]),
  );
}
