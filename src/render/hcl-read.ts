import { HclExpression } from './hcl.js';

/**
 * A reader for the HCL subset ./hcl.ts writes: comments, blank lines, attributes `name = value`, blocks
 * `type "label" { ... }`; values that are quoted strings (with the escapes `quote()` writes), numbers,
 * true/false, null, lists, objects with quoted or bare keys, and references such as
 * `var.networks["dev"].vpc_id`, kept as their text. Anything else (templates, function calls, operators,
 * heredocs) is refused with its line: it is not something the service wrote.
 *
 * One pass over the text, no regular expressions, nesting bounded: hostile input costs linear time.
 */

export type ReadValue =
  | string
  | number
  | boolean
  | null
  | HclExpression
  | readonly ReadValue[]
  | { readonly [key: string]: ReadValue };

export interface ReadAttribute {
  kind: 'attribute';
  name: string;
  value: ReadValue;
  /** The line the attribute starts on, from 1. */
  line: number;
}

export interface ReadBlock {
  kind: 'block';
  type: string;
  labels: string[];
  body: ReadItem[];
  line: number;
}

export type ReadItem = ReadAttribute | ReadBlock;

export type HclReadResult = { ok: true; body: ReadItem[] } | { ok: false; line: number; message: string };

/** Deeper than anything the writer nests (a list in an object in a block in a block). */
const MAX_DEPTH = 32;
/** Names and characters quoted in a message are cut to this length. */
const SHOWN = 40;

export function readHcl(text: string): HclReadResult {
  const reader = new Reader(text);
  try {
    return { ok: true, body: reader.body(null) };
  } catch (error) {
    if (error instanceof HclSyntaxError) return { ok: false, line: error.line, message: error.message };
    throw error;
  }
}

class HclSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const code = (ch: string) => ch.charCodeAt(0);
const NEWLINE = code('\n');
const HASH = code('#');
const SLASH = code('/');
const STAR = code('*');
const CLOSE_BRACE = code('}');
const OPEN_BRACE = code('{');
const EQUALS = code('=');
const QUOTE = code('"');
const OPEN_BRACKET = code('[');
const CLOSE_BRACKET = code(']');
const MINUS = code('-');
const DOT = code('.');
const LOWER_E = code('e');
const UPPER_E = code('E');
const PLUS = code('+');
const OPEN_PAREN = code('(');
const COMMA = code(',');
const COLON = code(':');
const BACKSLASH = code('\\');
const DOLLAR = code('$');
const PERCENT = code('%');
const isIdentifierStart = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95; /* a-z A-Z _ */
const isIdentifierPart = (c: number) => isIdentifierStart(c) || (c >= 48 && c <= 57) || c === 45; /* 0-9 - */
const isDigit = (c: number) => c >= 48 && c <= 57;
const isInlineSpace = (c: number) => c === 32 || c === 9 || c === 13; /* space, tab, CR */

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', n: '\n', r: '\r', t: '\t' };

const shown = (text: string) => (text.length > SHOWN ? `${text.slice(0, SHOWN)}...` : text);

class Reader {
  private pos = 0;
  private line = 1;
  private depth = 0;

  constructor(private readonly text: string) {}

  private peek(offset = 0): number {
    const at = this.pos + offset;
    return at < this.text.length ? this.text.charCodeAt(at) : -1;
  }

  private fail(message: string, line = this.line): never {
    throw new HclSyntaxError(line, message);
  }

  private found(): string {
    const c = this.peek();
    if (c === -1) return 'the end of the file';
    if (c === NEWLINE) return 'the end of the line';
    return JSON.stringify(String.fromCodePoint(this.text.codePointAt(this.pos) as number));
  }

  private enter(what: string, opened: number): void {
    this.depth += 1;
    if (this.depth > MAX_DEPTH) this.fail(`${what} nested deeper than ${MAX_DEPTH} levels`, opened);
  }

  /** Spaces and comments up to the end of the line (a block comment may span lines). */
  private skipInline(): void {
    for (;;) {
      const c = this.peek();
      if (isInlineSpace(c)) this.pos += 1;
      else if (c === HASH || (c === SLASH && this.peek(1) === SLASH)) {
        const end = this.text.indexOf('\n', this.pos);
        this.pos = end === -1 ? this.text.length : end;
      } else if (c === SLASH && this.peek(1) === STAR) {
        const opened = this.line;
        const end = this.text.indexOf('*/', this.pos + 2);
        if (end === -1) this.fail('a /* comment is never closed', opened);
        for (let i = this.pos; i < end; i++) if (this.text.charCodeAt(i) === NEWLINE) this.line += 1;
        this.pos = end + 2;
      } else return;
    }
  }

  /** Spaces, comments and line ends. */
  private skipLines(): void {
    for (;;) {
      this.skipInline();
      if (this.peek() !== NEWLINE) return;
      this.pos += 1;
      this.line += 1;
    }
  }

  /** After an attribute or a block's `}`: nothing more on the line. */
  private endOfLine(after: string): void {
    this.skipInline();
    const c = this.peek();
    if (c === -1) return;
    if (c !== NEWLINE) this.fail(`expected the end of the line after ${after}, found ${this.found()}`);
    this.pos += 1;
    this.line += 1;
  }

  private identifier(what: string): string {
    const start = this.pos;
    if (!isIdentifierStart(this.peek())) this.fail(`expected ${what}, found ${this.found()}`);
    while (isIdentifierPart(this.peek())) this.pos += 1;
    return this.text.slice(start, this.pos);
  }

  /** A body up to its closing `}` (a block's, opened on line `opened`) or the end of the file (null). */
  body(opened: number | null): ReadItem[] {
    const items: ReadItem[] = [];
    const defined = new Map<string, number>();
    for (;;) {
      this.skipLines();
      const c = this.peek();
      if (c === -1) {
        if (opened !== null) this.fail(`the block opened on line ${opened} has no closing }`);
        return items;
      }
      if (c === CLOSE_BRACE) {
        if (opened === null) this.fail('this } closes no block');
        this.pos += 1;
        return items;
      }
      const line = this.line;
      const name = this.identifier('an attribute or a block');
      this.skipInline();
      if (this.peek() === EQUALS && this.peek(1) !== EQUALS) {
        this.pos += 1;
        const value = this.value();
        this.endOfLine(`${shown(name)}'s value`);
        const first = defined.get(name);
        if (first !== undefined) this.fail(`${shown(name)} is defined twice (first on line ${first})`, line);
        defined.set(name, line);
        items.push({ kind: 'attribute', name, value, line });
        continue;
      }
      const labels: string[] = [];
      for (;;) {
        const l = this.peek();
        if (l === QUOTE) labels.push(this.string());
        else if (isIdentifierStart(l)) labels.push(this.identifier('a label'));
        else break;
        this.skipInline();
      }
      if (this.peek() !== OPEN_BRACE)
        this.fail(`expected = or a block's labels and {, found ${this.found()}`);
      this.pos += 1;
      this.endOfLine(`the { of ${shown(name)}`);
      this.enter('blocks', line);
      const body = this.body(line);
      this.depth -= 1;
      this.endOfLine(`the } of the ${shown(name)} block`);
      items.push({ kind: 'block', type: name, labels, body, line });
    }
  }

  private value(): ReadValue {
    this.skipInline();
    const c = this.peek();
    if (c === QUOTE) return this.string();
    if (c === OPEN_BRACKET) return this.list();
    if (c === OPEN_BRACE) return this.object();
    if (isDigit(c) || (c === MINUS && isDigit(this.peek(1)))) return this.number();
    if (isIdentifierStart(c)) return this.reference();
    return this.fail(`expected a value, found ${this.found()}`);
  }

  private number(): number {
    const start = this.pos;
    if (this.peek() === MINUS) this.pos += 1;
    const digits = () => {
      if (!isDigit(this.peek())) this.fail(`a number needs a digit here, found ${this.found()}`);
      while (isDigit(this.peek())) this.pos += 1;
    };
    digits();
    if (this.peek() === DOT) {
      this.pos += 1;
      digits();
    }
    if (this.peek() === LOWER_E || this.peek() === UPPER_E) {
      this.pos += 1;
      if (this.peek() === PLUS || this.peek() === MINUS) this.pos += 1;
      digits();
    }
    const literal = this.text.slice(start, this.pos);
    const value = Number(literal);
    if (!Number.isFinite(value)) this.fail(`the number ${shown(literal)} is out of range`);
    return value;
  }

  /** true, false, null, or a reference (`var.networks["dev"].vpc_id`) kept as its text. */
  private reference(): ReadValue {
    const start = this.pos;
    const root = this.identifier('a value');
    for (;;) {
      if (this.peek() === DOT && isIdentifierStart(this.peek(1))) {
        this.pos += 1;
        this.identifier('an attribute name');
      } else if (this.peek() === OPEN_BRACKET) {
        this.pos += 1;
        if (this.peek() === QUOTE) this.string();
        else if (isDigit(this.peek())) this.number();
        else this.fail(`expected a quoted key or an index, found ${this.found()}`);
        if (this.peek() !== CLOSE_BRACKET) this.fail(`expected ], found ${this.found()}`);
        this.pos += 1;
      } else break;
    }
    const text = this.text.slice(start, this.pos);
    if (this.peek() === OPEN_PAREN)
      this.fail(
        `the expression ${shown(text)}(...) is a function call; only literals and references are read`,
      );
    if (text === root && (root === 'true' || root === 'false')) return root === 'true';
    if (text === root && root === 'null') return null;
    return new HclExpression(text);
  }

  private list(): ReadValue[] {
    const opened = this.line;
    this.enter('lists and objects', opened);
    this.pos += 1;
    const items: ReadValue[] = [];
    for (;;) {
      this.skipLines();
      if (this.peek() === CLOSE_BRACKET) break;
      items.push(this.value());
      this.skipLines();
      if (this.peek() === COMMA) this.pos += 1;
      else if (this.peek() !== CLOSE_BRACKET)
        this.fail(`expected , or ] in the list opened on line ${opened}, found ${this.found()}`);
    }
    this.pos += 1;
    this.depth -= 1;
    return items;
  }

  private object(): { [key: string]: ReadValue } {
    const opened = this.line;
    this.enter('lists and objects', opened);
    this.pos += 1;
    const entries: Array<[string, ReadValue]> = [];
    const given = new Map<string, number>();
    for (;;) {
      this.skipLines();
      if (this.peek() === CLOSE_BRACE) break;
      const line = this.line;
      const key = this.peek() === QUOTE ? this.string() : this.identifier('an object key');
      this.skipInline();
      if (this.peek() !== EQUALS && this.peek() !== COLON)
        this.fail(`expected = after the key ${shown(JSON.stringify(key))}, found ${this.found()}`);
      this.pos += 1;
      const value = this.value();
      const first = given.get(key);
      if (first !== undefined)
        this.fail(`the key ${shown(JSON.stringify(key))} is given twice (first on line ${first})`, line);
      given.set(key, line);
      entries.push([key, value]);
      this.skipInline();
      const c = this.peek();
      if (c === COMMA) this.pos += 1;
      else if (c !== NEWLINE && c !== CLOSE_BRACE)
        this.fail(
          `expected a new line, , or } in the object opened on line ${opened}, found ${this.found()}`,
        );
    }
    this.pos += 1;
    this.depth -= 1;
    // fromEntries defines each key as an own property: `__proto__` stays a key, not a prototype.
    return Object.fromEntries(entries);
  }

  /** A quoted string on one line, its escapes undone: `\\ \" \n \r \t \uXXXX \UXXXXXXXX`, `$${`, `%%{`. */
  private string(): string {
    const opened = this.line;
    this.pos += 1;
    let out = '';
    let run = this.pos;
    for (;;) {
      const c = this.peek();
      if (c === -1 || c === NEWLINE) return this.fail('a quoted string does not end on its line', opened);
      if (c === QUOTE) {
        out += this.text.slice(run, this.pos);
        this.pos += 1;
        return out;
      }
      if (c === BACKSLASH) {
        out += this.text.slice(run, this.pos);
        out += this.escape();
        run = this.pos;
      } else if (c === DOLLAR || c === PERCENT) {
        const next = this.peek(1);
        if (next === OPEN_BRACE)
          this.fail(`a template ${String.fromCharCode(c)}{ interpolation is not a literal string`);
        if (next === c && this.peek(2) === OPEN_BRACE) {
          // `$${` is a literal `${`: drop the doubled character.
          out += this.text.slice(run, this.pos + 1);
          this.pos += 2;
          run = this.pos;
        } else this.pos += 1;
      } else this.pos += 1;
    }
  }

  private escape(): string {
    const kind = this.text[this.pos + 1] ?? '';
    if (Object.hasOwn(ESCAPES, kind)) {
      this.pos += 2;
      return ESCAPES[kind] as string;
    }
    const width = kind === 'u' ? 4 : kind === 'U' ? 8 : 0;
    if (width === 0) return this.fail(`${shown(JSON.stringify(`\\${kind}`))} is not a string escape`);
    const hex = this.text.slice(this.pos + 2, this.pos + 2 + width);
    const point = /^[0-9A-Fa-f]+$/.test(hex) ? Number.parseInt(hex, 16) : Number.NaN;
    if (hex.length !== width || !(point <= 0x10ffff))
      this.fail(`\\${kind} must be followed by ${width} hexadecimal digits of a Unicode code point`);
    this.pos += 2 + width;
    return String.fromCodePoint(point);
  }
}
