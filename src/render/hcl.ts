/**
 * A small HCL writer whose output is already `terraform fmt` clean: two-space indent, `=` aligned
 * across each run of single-line attributes, multi-line values standing alone. Pure.
 */

/** An expression written as is (a reference such as `var.networks["dev"].vpc_id`), never quoted. */
export class HclExpression {
  constructor(readonly text: string) {}
}
export const expression = (text: string) => new HclExpression(text);

/** An object whose identifier keys are written bare (`source = ...`), as in `required_providers`. */
export class HclFields {
  constructor(readonly fields: { readonly [key: string]: HclValue }) {}
}
export const fields = (record: { readonly [key: string]: HclValue }) => new HclFields(record);

export type HclValue =
  | string
  | number
  | boolean
  | null
  | HclExpression
  | HclFields
  | readonly HclValue[]
  | { readonly [key: string]: HclValue };

export type BodyItem =
  | { kind: 'attribute'; name: string; value: HclValue }
  | { kind: 'block'; type: string; labels: readonly string[]; body: readonly BodyItem[] }
  | { kind: 'blank' }
  | { kind: 'comment'; text: string };

export const attribute = (name: string, value: HclValue): BodyItem => ({ kind: 'attribute', name, value });
export const block = (type: string, labels: readonly string[], body: readonly BodyItem[]): BodyItem => ({
  kind: 'block',
  type,
  labels,
  body,
});
export const blank: BodyItem = { kind: 'blank' };
export const comment = (text: string): BodyItem => ({ kind: 'comment', text });

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const INDENT = '  ';
/** Lists of scalars up to this width stay on one line. */
const INLINE_LIST_WIDTH = 80;

/**
 * A quoted HCL string. Template sequences `${` and `%{` are escaped so nothing is interpolated. HCL reads
 * string literals as Unicode NFC; the request schema only admits ASCII, so nothing it writes changes.
 */
export function quote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    const next = text[i + 1];
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if ((ch === '$' || ch === '%') && next === '{') out += ch + ch;
    else if (ch < ' ' || ch === '\u007f') out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Writes a whole file: top-level blocks, comments and blank lines, ending in one newline. */
export function writeFile(items: readonly BodyItem[]): string {
  return `${writeBody(items, 0).join('\n')}\n`;
}

/** An `left = value` line, or lines written as they are (blocks, comments, blanks). */
type Segment = { left: string; value: string } | { lines: string[] };

/**
 * Lays out segments the way `terraform fmt` does: each run of single-line assignments is aligned
 * on `=`; a multi-line value, a block, a comment or a blank line ends the run and stands alone.
 */
function layout(pad: string, segments: readonly Segment[]): string[] {
  const out: string[] = [];
  let run: Array<{ left: string; value: string }> = [];
  const flush = () => {
    const width = Math.max(0, ...run.map((a) => a.left.length));
    for (const a of run) out.push(`${pad}${a.left.padEnd(width)} = ${a.value}`);
    run = [];
  };
  for (const segment of segments) {
    if ('lines' in segment) {
      flush();
      out.push(...segment.lines);
    } else if (segment.value.includes('\n')) {
      flush();
      out.push(`${pad}${segment.left} = ${segment.value}`);
    } else run.push(segment);
  }
  flush();
  return out;
}

function writeBody(items: readonly BodyItem[], depth: number): string[] {
  const pad = INDENT.repeat(depth);
  return layout(
    pad,
    items.map((item) => segment(item, pad, depth)),
  );
}

function segment(item: BodyItem, pad: string, depth: number): Segment {
  if (item.kind === 'attribute') {
    if (!IDENTIFIER.test(item.name)) throw new Error(`not an HCL identifier: ${JSON.stringify(item.name)}`);
    return { left: item.name, value: writeValue(item.value, depth) };
  }
  if (item.kind === 'blank') return { lines: [''] };
  if (item.kind === 'comment')
    return { lines: item.text.split('\n').map((line) => (line ? `${pad}# ${line}` : `${pad}#`)) };
  if (!IDENTIFIER.test(item.type)) throw new Error(`not an HCL block type: ${JSON.stringify(item.type)}`);
  const head = [item.type, ...item.labels.map(quote)].join(' ');
  return { lines: [`${pad}${head} {`, ...writeBody(item.body, depth + 1), `${pad}}`] };
}

function writeValue(value: HclValue, depth: number): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`HCL has no literal for ${value}`);
    return String(value);
  }
  if (value instanceof HclExpression) return value.text;
  if (value instanceof HclFields) return writeObject(value.fields, depth, true);
  if (isList(value)) return writeList(value, depth);
  return writeObject(value, depth);
}

function isList(value: HclValue): value is readonly HclValue[] {
  return Array.isArray(value);
}

function writeList(items: readonly HclValue[], depth: number): string {
  if (items.length === 0) return '[]';
  const parts = items.map((v) => writeValue(v, depth + 1));
  const inline = `[${parts.join(', ')}]`;
  if (!parts.some((p) => p.includes('\n')) && inline.length <= INLINE_LIST_WIDTH) return inline;
  const pad = INDENT.repeat(depth + 1);
  return `[\n${parts.map((p) => `${pad}${p},`).join('\n')}\n${INDENT.repeat(depth)}]`;
}

/** Objects are always multi-line with quoted keys (bare for HclFields), aligned as `terraform fmt` aligns them. */
function writeObject(record: { readonly [key: string]: HclValue }, depth: number, bare = false): string {
  const entries = Object.entries(record);
  if (entries.length === 0) return '{}';
  // Bare where HCL reads a bare key as that string (`source = ...`); any other key stays quoted.
  const key = (name: string) =>
    bare && IDENTIFIER.test(name) && !['true', 'false', 'null'].includes(name) ? name : quote(name);
  const segments = entries.map(
    ([name, v]): Segment => ({ left: key(name), value: writeValue(v, depth + 1) }),
  );
  return `{\n${layout(INDENT.repeat(depth + 1), segments).join('\n')}\n${INDENT.repeat(depth)}}`;
}
