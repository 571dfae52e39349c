/**
 * The policy file's text with some values set or removed, written so the platform team's file survives:
 * with no change, the text itself; otherwise every line yaml's own writing leaves alone comes from the
 * given text (comments, spacing, quoting), and only the lines of the changed values are new. Pure.
 */
import { isDeepStrictEqual } from 'node:util';
import { diffArrays } from 'diff';
import { type Document, isCollection, isSeq, parseDocument, type ToStringOptions } from 'yaml';

/** A value to set at a path of the policy, or `undefined` to remove the key. */
export interface PolicyEdit {
  path: readonly string[];
  value: string | readonly string[] | undefined;
}

/** The value at a path of a parsed policy, as plain data (lists as arrays); absent: undefined. */
export function valueIn(doc: Document, path: readonly string[]): unknown {
  const value = doc.getIn(path);
  return isCollection(value) ? value.toJSON() : value;
}

/** Applies the edits; a list replacing one keeps its style, a new one is inline as the policy's are. */
export function applyPolicyEdits(doc: Document, edits: readonly PolicyEdit[]): void {
  for (const { path, value } of edits) {
    if (value === undefined) doc.deleteIn(path);
    else if (typeof value === 'string') doc.setIn(path, value);
    else {
      const before = doc.getIn(path, true);
      const list = doc.createNode([...value]);
      list.flow = isSeq(before) ? before.flow === true : true;
      doc.setIn(path, list);
    }
  }
}

export function editedPolicyText(text: string, edits: readonly PolicyEdit[]): string {
  if (edits.length === 0) return text;
  const edited = parseDocument(text);
  applyPolicyEdits(edited, edits);
  const given = text.split('\n');
  const original = parseDocument(text);
  const options = closestOptions(original, given);
  const rewritten = edited.toString(options);
  // yaml writes the policy before and after the edits alike: the lines the edits leave are the ones
  // both share, each written as the given text has it where the given text has that line.
  const was = original.toString(options).split('\n');
  const kept = givenLines(was, given);
  const out: string[] = [];
  let at = 0;
  for (const part of diffArrays(was, rewritten.split('\n'))) {
    if (part.added) out.push(...part.value);
    else {
      if (!part.removed) for (let i = at; i < at + part.count; i++) out.push(kept[i] ?? (was[i] as string));
      at += part.count;
    }
  }
  const merged = out.join('\n');
  // A safety net: the kept lines and the new ones must read back as exactly the edited policy.
  const check = parseDocument(merged);
  return check.errors.length === 0 && isDeepStrictEqual(check.toJS(), edited.toJS()) ? merged : rewritten;
}

/** yaml's writing options that reproduce most of the text's lines (its indent, padding, lists). */
function closestOptions(doc: Document, given: readonly string[]): ToStringOptions {
  const indents = given
    .filter((line) => /^ +[^\s#]/.test(line))
    .map((line) => line.length - line.trimStart().length);
  const indent = indents.length > 0 ? Math.min(...indents) : 2;
  let best: ToStringOptions = { lineWidth: 0, indent };
  let bestSame = -1;
  for (const flowCollectionPadding of [false, true])
    for (const indentSeq of [true, false]) {
      const options = { lineWidth: 0, indent, flowCollectionPadding, indentSeq };
      const lines = doc.toString(options).split('\n');
      const same = lines.filter((line, i) => line === given[i]).length;
      if (same > bestSame) [best, bestSame] = [options, same];
    }
  return best;
}

/** For each line yaml wrote, the given text's line it stands for (the same but for spacing), if any. */
function givenLines(written: string[], given: string[]): (string | undefined)[] {
  const kept: (string | undefined)[] = [];
  let at = 0;
  let from = 0;
  for (const part of diffArrays(written, given, { comparator: sameLine })) {
    if (part.added) from += part.count;
    else {
      for (let i = 0; i < part.count; i++) kept[at + i] = part.removed ? undefined : given[from + i];
      at += part.count;
      if (!part.removed) from += part.count;
    }
  }
  return kept;
}

/** The same line but for spacing inside it; a line of data also starts at the same column. */
function sameLine(a: string, b: string): boolean {
  const squeezed = a.replace(/\s+/g, '');
  if (squeezed !== b.replace(/\s+/g, '')) return false;
  const indent = (line: string) => line.length - line.trimStart().length;
  return squeezed === '' || squeezed.startsWith('#') || indent(a) === indent(b);
}
