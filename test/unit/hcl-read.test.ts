import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attribute,
  type BodyItem,
  blank,
  block,
  comment,
  expression,
  fields,
  HclExpression,
  HclFields,
  type HclValue,
  quote,
  writeFile,
} from '../../src/render/hcl.js';
import { type ReadItem, type ReadValue, readHcl } from '../../src/render/hcl-read.js';

/** What the reader gives for a written value: bare-key objects are plain records, expressions stay text. */
function expectedValue(value: HclValue): ReadValue {
  if (value instanceof HclFields) return expectedRecord(value.fields);
  if (value instanceof HclExpression || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(expectedValue);
  return expectedRecord(value as { readonly [key: string]: HclValue });
}
const expectedRecord = (record: { readonly [key: string]: HclValue }): ReadValue =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, expectedValue(v)]));

/** The items the reader gives for written ones: comments and blank lines dropped, lines left out. */
function expectedItems(items: readonly BodyItem[]): unknown[] {
  return items.flatMap((item): unknown[] => {
    if (item.kind === 'attribute')
      return [{ kind: 'attribute', name: item.name, value: expectedValue(item.value) }];
    if (item.kind === 'block')
      return [{ kind: 'block', type: item.type, labels: item.labels, body: expectedItems(item.body) }];
    return [];
  });
}
const withoutLines = (items: readonly ReadItem[]): unknown[] =>
  items.map((item) =>
    item.kind === 'attribute'
      ? { kind: 'attribute', name: item.name, value: item.value }
      : { kind: 'block', type: item.type, labels: item.labels, body: withoutLines(item.body) },
  );

function read(text: string): ReadItem[] {
  const result = readHcl(text);
  if (!result.ok) throw new Error(`line ${result.line}: ${result.message}`);
  return result.body;
}

const scalar = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  // HCL has one zero: -0 is written as 0 (as Terraform reads it), so it is no value to round-trip.
  fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
    .map((n) => (Object.is(n, -0) ? 0 : n)),
  fc
    .tuple(
      fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/),
      fc.string({ maxLength: 6 }),
      fc.integer({ min: 0, max: 9 }),
    )
    .filter(([root]) => !['true', 'false', 'null'].includes(root))
    .map(([root, key, index]) => expression(`${root}.networks[${quote(key)}][${index}].vpc_id`)),
);
const key = fc.stringMatching(/^[a-z][a-z0-9_-]{0,14}$/);
const anyKey = fc.oneof(key, fc.string({ unit: 'binary', maxLength: 8 }));
const { value } = fc.letrec<{ value: HclValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(anyKey, tie('value'), { maxKeys: 4 }),
    fc.dictionary(anyKey, tie('value'), { maxKeys: 4 }).map(fields),
  ),
}));
const attributes = fc.uniqueArray(fc.tuple(key, value), { selector: ([name]) => name, maxLength: 5 });
const { body } = fc.letrec<{ body: BodyItem[] }>((tie) => ({
  body: fc
    .tuple(
      attributes,
      fc.array(
        fc.oneof(
          { depthSize: 'small' },
          fc.constant(blank),
          fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).map(comment),
          fc
            .tuple(key, fc.array(fc.string({ unit: 'binary', maxLength: 6 }), { maxLength: 2 }), tie('body'))
            .map(([type, labels, inner]) => block(type, labels, inner)),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([attrs, rest]) => [...attrs.map(([name, v]) => attribute(name, v)), ...rest]),
}));

describe('readHcl', () => {
  it('reads back every body the writer writes: attributes, blocks with labels, values of every kind', () => {
    fc.assert(
      fc.property(body, (items) => {
        expect(withoutLines(read(writeFile(items)))).toEqual(expectedItems(items));
      }),
      { numRuns: 500 },
    );
  });

  it('reads any string the writer quotes as that string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(read(`v = ${quote(text)}\n`)).toEqual([
          { kind: 'attribute', name: 'v', value: text, line: 1 },
        ]);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads multi-line lists, trailing commas, bare and quoted keys, comments of each kind, and gives each line', () => {
    const text = [
      '# a comment',
      '// another',
      'module "db" {',
      '  ids = [',
      '    "a",',
      '    "b", # why',
      '  ]',
      '  /* block',
      '     comment */',
      '  tags = {',
      '    "owner"    = "x"',
      '    managed-by = "y"',
      '  }',
      '  ref = var.networks["dev"].subnet_ids',
      '  n   = -1.5e3',
      '}',
      '',
    ].join('\n');
    expect(read(text)).toEqual([
      {
        kind: 'block',
        type: 'module',
        labels: ['db'],
        line: 3,
        body: [
          { kind: 'attribute', name: 'ids', value: ['a', 'b'], line: 4 },
          { kind: 'attribute', name: 'tags', value: { owner: 'x', 'managed-by': 'y' }, line: 10 },
          { kind: 'attribute', name: 'ref', value: expression('var.networks["dev"].subnet_ids'), line: 14 },
          { kind: 'attribute', name: 'n', value: -1500, line: 15 },
        ],
      },
    ]);
  });

  it('keeps __proto__ and other object property names as plain keys', () => {
    const [tags] = read('tags = {\n  "__proto__" = "a"\n  constructor = "b"\n}\n');
    expect(tags?.kind === 'attribute' && tags.value).toEqual(
      Object.fromEntries([
        ['__proto__', 'a'],
        ['constructor', 'b'],
      ]),
    );
    expect(Object.getPrototypeOf(tags?.kind === 'attribute' ? tags.value : null)).toBe(Object.prototype);
  });

  it.each([
    ['an unterminated string', 'a = 1\nb = "x\n', 2, /string/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the point
    ['a template interpolation', 'a = 1\nb = "${var.x}"\n', 2, /interpolation/],
    ['a function call', 'a = 1\n\nb = lower("x")\n', 3, /expression/],
    ['an operator', 'a = 1 + 2\n', 1, /end of the line/],
    ['a missing =', 'a 1\n', 1, /expected/],
    ['an unclosed block', 'module "x" {\n  a = 1\n', 3, /\}/],
    ['a stray closing brace', 'a = 1\n}\n', 2, /\}/],
    ['an attribute defined twice', 'x {\n  a = 1\n  a = 2\n}\n', 3, /a is defined twice.*line 2/],
    ['an object key given twice', 'a = {\n  "k" = 1\n  k = 2\n}\n', 3, /"k" is given twice/],
    ['a heredoc', 'a = <<EOT\nx\nEOT\n', 1, /expected a value/],
    ['a number too large for a float', 'a = 1e999\n', 1, /number/],
    ['a bad escape', 'a = "\\q"\n', 1, /escape/],
    ['two attributes on one line', 'a = 1 b = 2\n', 1, /end of the line/],
  ])('refuses %s, naming the line', (_what, text, line, message) => {
    const result = readHcl(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.line).toBe(line);
    expect(result.message).toMatch(message);
  });

  it('answers hostile input of 1 MB at once: deep nesting, long runs, unterminated constructs', () => {
    const mb = 1 << 20;
    const inputs = [
      `a = ${'['.repeat(mb)}`,
      `a = ${'{'.repeat(mb)}`,
      `a = ${'[1,'.repeat(mb / 3)}`,
      `x ${'"l" '.repeat(mb / 4)}{`,
      `a = "${'\\\\'.repeat(mb / 2)}`,
      `a = ${'x.'.repeat(mb / 2)}`,
      `a = x${'["k"]'.repeat(mb / 5)}`,
      ' '.repeat(mb),
      '#'.repeat(mb),
      `/*${'*'.repeat(mb)}`,
      'a'.repeat(mb),
      `${'a = 1\n'.repeat(mb / 6)}`,
      `${'b {\n'.repeat(mb / 4)}`,
      '\u0000'.repeat(mb),
    ];
    for (const text of inputs) {
      const started = performance.now();
      const result = readHcl(text);
      const elapsed = performance.now() - started;
      // A backtracking or quadratic reader takes minutes on these; a linear one a few milliseconds.
      expect(elapsed, `${JSON.stringify(text.slice(0, 12))}...`).toBeLessThan(1000);
      expect(typeof result.ok).toBe('boolean');
    }
    const deep = readHcl(`a = ${'['.repeat(mb)}`);
    expect(deep.ok === false && deep.message).toMatch(/nested/);
  });
});
