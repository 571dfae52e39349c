import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attribute, block, expression, type HclValue, quote, writeFile } from '../../src/render/hcl.js';
import { formatHcl, parseHcl } from '../support/hcl.js';

/** hcl2json answers in Terraform's JSON syntax, where a literal `${` or `%{` is written doubled. */
const fromJsonSyntax = (text: string) => text.replaceAll('$${', '${').replaceAll('%%{', '%{');

async function parsedValue(value: HclValue): Promise<unknown> {
  const parsed = await parseHcl('t.tf', writeFile([attribute('v', value)]));
  return parsed.v;
}

describe('quote', () => {
  it('escapes quotes, backslashes, control characters and template sequences', async () => {
    expect(quote('a"b\\c\nd\te\r')).toBe('"a\\"b\\\\c\\nd\\te\\r"');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the point
    expect(quote('${var.x} %{if}')).toBe('"$${var.x} %%{if}"');
    expect(quote('$ % {} $$ %%')).toBe('"$ % {} $$ %%"');
    expect(quote('\u0001\u007f')).toBe('"\\u0001\\u007f"');
    // Not escaped, a template sequence would be evaluated by Terraform: prove the parser sees it as one.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the point
    expect(await parseHcl('t.tf', 'v = "${var.x}"\n')).toEqual({ v: '${var.x}' });
  });

  it('round-trips any string through HashiCorp parser', async () => {
    const tricky = fc.string({
      unit: fc.constantFrom('$', '%', '{', '}', '\\', '"', '\n', '\t', 'a', 'é', '\u0000', '\u001b', '😀'),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(tricky, fc.string({ unit: 'binary' })), async (text) => {
        // HCL normalises string literals to Unicode NFC, so that is what Terraform will see.
        expect(fromJsonSyntax((await parsedValue(text)) as string)).toBe(text.normalize('NFC'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('writeFile', () => {
  const scalar = fc.oneof(
    fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  );
  const key = fc.stringMatching(/^[a-z][a-z0-9_-]{0,14}$/);
  const { value } = fc.letrec<{ value: HclValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    ),
  }));

  it('writes terraform-fmt-clean HCL that parses back to the same values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, minLength: 1, maxLength: 6 }),
        async (attrs) => {
          const text = writeFile([
            block(
              'locals',
              [],
              attrs.map(([k, v]) => attribute(k, v)),
            ),
          ]);
          expect(await formatHcl(text)).toBe(text);
          const parsed = (await parseHcl('t.tf', text)) as { locals: Array<Record<string, unknown>> };
          const decoded = JSON.parse(JSON.stringify(parsed.locals[0]), (_k, v) =>
            typeof v === 'string' ? fromJsonSyntax(v) : v,
          );
          // JSON has no -0; compare through JSON on both sides.
          expect(decoded).toEqual(JSON.parse(JSON.stringify(Object.fromEntries(attrs))));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('aligns runs of single-line attributes and leaves multi-line values alone, as terraform fmt does', async () => {
    const text = writeFile([
      block(
        'module',
        ['x'],
        [
          attribute('a', 1),
          attribute('long_name', 'v'),
          attribute('map', { k: 'v', longer: expression('var.x') }),
          attribute('b', []),
        ],
      ),
    ]);
    expect(text).toBe(
      [
        'module "x" {',
        '  a         = 1',
        '  long_name = "v"',
        '  map = {',
        '    "k"      = "v"',
        '    "longer" = var.x',
        '  }',
        '  b = []',
        '}',
        '',
      ].join('\n'),
    );
    expect(await formatHcl(text)).toBe(text);
  });

  it('refuses what HCL cannot say', () => {
    expect(() => writeFile([attribute('bad name', 1)])).toThrow(/identifier/);
    expect(() => writeFile([attribute('n', Number.NaN)])).toThrow(/literal/);
  });
});
