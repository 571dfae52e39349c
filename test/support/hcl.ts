/**
 * HashiCorp's own HCL tooling, typed: the parser behind `hcl2json` (@cdktf/hcl2json) and the formatter behind
 * `terraform fmt` (hclwrite, via @cdktf/hcl-tools). Both are Go compiled to WebAssembly; each is loaded once,
 * on first use, and shared by every caller in the process.
 *
 * General on purpose: the Terraform under terraform/ and the files src/ renders are checked with the same
 * helpers.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

/**
 * A parsed HCL body as hcl2json gives it. Blocks become arrays of bodies under their type, then one object
 * level per label (`resource "a" "b" {}` -> `{ resource: { a: { b: [ {...} ] } } }`); attributes become
 * values; an expression that is not a literal becomes the string `"${expression}"`.
 */
export type HclJson = { [key: string]: unknown };

/** One parsed .tf file; `file` is the path as given (tests use paths relative to the repository). */
export interface ParsedHclFile {
  file: string;
  hcl: HclJson;
}

export class HclParseError extends Error {
  constructor(
    readonly fileName: string,
    readonly detail: string,
  ) {
    super(`${fileName}: ${detail}`);
    this.name = 'HclParseError';
  }
}

interface Hcl2JsonModule {
  parse(fileName: string, contents: string): Promise<HclJson>;
}
interface HclToolsModule {
  format(contents: string): Promise<string>;
}

// Loaded with require, not import: the packages are CommonJS, and their typings pull the DOM lib into
// whatever program imports them, which this project does not want.
const require = createRequire(import.meta.url);
let hcl2json: Hcl2JsonModule | undefined;
let hclTools: HclToolsModule | undefined;

/** The wasm modules report a failed start only as an unhandled rejection; never wait forever. */
const WASM_TIMEOUT_MS = 60_000;

async function withTimeout<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${WASM_TIMEOUT_MS / 1000}s`)),
      WASM_TIMEOUT_MS,
    );
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Strips the wasm bridge's wrapping: `parse config: [main.tf:2,7-3,1: Invalid expression; ...]`. */
function parseErrorDetail(message: string): string {
  const m = /^parse config: \[(.*)\]$/s.exec(message);
  return m?.[1] ?? message;
}

/**
 * Parses HCL source with HashiCorp's parser. Rejects with an {@link HclParseError} carrying the parser's own
 * diagnostics (`main.tf:2,7-3,1: Invalid expression; ...`). hcl2json checks HCL syntax only: which blocks and
 * arguments Terraform accepts is checked separately (test/support/provider-schema.ts).
 */
export async function parseHcl(fileName: string, text: string): Promise<HclJson> {
  hcl2json ??= require('@cdktf/hcl2json') as Hcl2JsonModule;
  try {
    return await withTimeout('hcl2json', hcl2json.parse(fileName, text));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new HclParseError(fileName, parseErrorDetail(message));
  }
}

/**
 * Formats HCL source the way `terraform fmt` lays it out (hclwrite's formatter: indentation, alignment of
 * `=`, spacing). It does not validate: invalid HCL comes back as best it can. `terraform fmt` additionally
 * rewrites a few legacy expressions; {@link terraformFmtRewrites} finds those.
 */
export async function formatHcl(text: string): Promise<string> {
  hclTools ??= require('@cdktf/hcl-tools') as HclToolsModule;
  return await withTimeout('hcl-tools', hclTools.format(text));
}

/**
 * Every `*.tf` file under `dir` (or those ending in one of `extensions`, e.g. `['.tf', '.tfvars']`),
 * recursively, sorted; skips dot-directories such as `.terraform/`.
 */
export async function listTfFiles(dir: string, extensions: readonly string[] = ['.tf']): Promise<string[]> {
  const out: string[] = [];
  async function visit(current: string): Promise<void> {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) await visit(path);
      else if (entry.isFile() && extensions.some((ext) => entry.name.endsWith(ext))) out.push(path);
    }
  }
  await visit(dir);
  return out.sort();
}

/** Parses one file; `displayAs` (default: the path relative to the working directory) names it in errors. */
export async function parseTfFile(
  path: string,
  displayAs = relative(process.cwd(), path),
): Promise<ParsedHclFile> {
  const text = await readFile(path, 'utf8');
  return { file: displayAs, hcl: await parseHcl(displayAs, text) };
}

/**
 * Parses the `*.tf` files of one Terraform module: the files directly in `dir`, as Terraform reads them
 * (subdirectories are other modules).
 */
export async function parseTfDir(dir: string): Promise<ParsedHclFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith('.tf') && !e.name.startsWith('.'))
    .map((e) => resolve(dir, e.name))
    .sort();
  return await Promise.all(files.map((f) => parseTfFile(f)));
}

export interface FmtRewrite {
  line: number;
  message: string;
}

/**
 * What `terraform fmt` rewrites beyond hclwrite's layout, which {@link formatHcl} therefore does not show:
 * an argument whose whole value is one interpolation (`"${var.x}"`, unwrapped to `var.x`) and a legacy
 * quoted type constraint in a variable (`type = "string"`). Line-based: heredoc bodies are skipped, and
 * only single-line values are recognised.
 */
export function terraformFmtRewrites(text: string): FmtRewrite[] {
  const out: FmtRewrite[] = [];
  const lines = text.split('\n');
  let heredocEnd: string | undefined;
  let depthInVariable = -1;
  let depth = 0;
  for (const [index, line] of lines.entries()) {
    if (heredocEnd !== undefined) {
      if (line.trim() === heredocEnd) heredocEnd = undefined;
      continue;
    }
    const heredoc = /<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(line);
    if (heredoc) heredocEnd = heredoc[1];

    const code = line.replace(/\s*(#|\/\/).*$/, '');
    const interpolationOnly = /^\s*[A-Za-z_][A-Za-z0-9_-]*\s*=\s*"\$\{((?:(?!\$\{|%\{|\}").)*)\}"\s*$/.exec(
      code,
    );
    if (interpolationOnly) {
      out.push({
        line: index + 1,
        message: `interpolation-only expression: terraform fmt writes ${interpolationOnly[1]} without "\${...}"`,
      });
    }
    if (/^\s*variable\s+"[^"]*"\s*\{/.test(code)) depthInVariable = depth;
    const quotedType = /^\s*type\s*=\s*"(string|number|bool|list|map)"\s*$/.exec(code);
    if (quotedType && depthInVariable >= 0 && depth === depthInVariable + 1) {
      out.push({
        line: index + 1,
        message: `legacy quoted type "${quotedType[1]}": terraform fmt unquotes it`,
      });
    }
    for (const ch of code.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
      if (ch === '{') depth++;
      else if (ch === '}') {
        depth--;
        if (depth === depthInVariable) depthInVariable = -1;
      }
    }
  }
  return out;
}

/**
 * A short line diff from `before` to `after` (`-` lines only in before, `+` lines only in after), with
 * `context` unchanged lines around each change and at most `maxLines` lines in all. For test failure messages.
 */
export function lineDiff(before: string, after: string, context = 2, maxLines = 40): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // Longest common subsequence by dynamic programming; the files here are small.
  const n = a.length;
  const m = b.length;
  if (n * m > 4_000_000) return `(files too large to diff: ${n} and ${m} lines)`;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array;
    const next = lcs[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) {
      row[j] =
        a[i] === b[j] ? (next[j + 1] as number) + 1 : Math.max(next[j] as number, row[j + 1] as number);
    }
  }
  type Op = { kind: ' ' | '-' | '+'; text: string; lineA: number; lineB: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: ' ', text: a[i] as string, lineA: i + 1, lineB: j + 1 });
      i++;
      j++;
    } else if (i < n && (j === m || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      ops.push({ kind: '-', text: a[i] as string, lineA: i + 1, lineB: j + 1 });
      i++;
    } else {
      ops.push({ kind: '+', text: b[j] as string, lineA: i + 1, lineB: j + 1 });
      j++;
    }
  }
  const keep = new Array<boolean>(ops.length).fill(false);
  ops.forEach((op, k) => {
    if (op.kind === ' ') return;
    for (let c = Math.max(0, k - context); c <= Math.min(ops.length - 1, k + context); c++) keep[c] = true;
  });
  const out: string[] = [];
  let skipped = false;
  for (const [k, op] of ops.entries()) {
    if (!keep[k]) {
      skipped = true;
      continue;
    }
    if (skipped || out.length === 0) out.push(`@@ line ${op.lineA} @@`);
    skipped = false;
    out.push(`${op.kind} ${op.text}`);
  }
  if (out.length > maxLines)
    return [...out.slice(0, maxLines), `... (${out.length - maxLines} more lines)`].join('\n');
  return out.join('\n');
}

interface Hcl2JsonReferences {
  getReferencesInExpression(fileName: string, expression: string): Promise<{ value: string }[]>;
}

/** Escapes `"` in the literal parts of a template (outside `${...}`/`%{...}`), as a quoted template needs. */
function quoteLiterals(template: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i] as string;
    if (depth === 0 && (ch === '$' || ch === '%') && template[i + 1] === '{') {
      depth = 1;
      out += `${ch}{`;
      i++;
    } else if (depth > 0 && ch === '{') {
      depth++;
      out += ch;
    } else if (depth > 0 && ch === '}') {
      depth--;
      out += ch;
    } else if (depth === 0 && ch === '"') {
      out += '\\"';
    } else {
      out += ch;
    }
  }
  return `"${out}"`;
}

/**
 * The references (`var.x`, `aws_db_instance.this.0.arn`, `data.aws_region.current.region`, ...) in one
 * string value as hcl2json gives it (an expression `${...}` or a template), found by HashiCorp's expression
 * parser: names bound by `for` expressions are not references. Index keys become segments
 * (`aws_x.this[0].arn` -> `aws_x.this.0.arn`); a splat ends the reference. Returns undefined when the text
 * does not parse as a template.
 */
export async function findReferences(value: string): Promise<string[] | undefined> {
  hcl2json ??= require('@cdktf/hcl2json') as Hcl2JsonModule;
  const mod = hcl2json as unknown as Hcl2JsonReferences;
  for (const candidate of [value, quoteLiterals(value)]) {
    try {
      const refs = await withTimeout('hcl2json', mod.getReferencesInExpression('expression.tf', candidate));
      return refs.map((r) => r.value);
    } catch {
      // try the next form
    }
  }
  return undefined;
}
