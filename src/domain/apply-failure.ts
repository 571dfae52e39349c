/**
 * Why an apply failed, in a sentence or a few the requester can read: the errors Terraform printed,
 * from `terraform apply -json` (its diagnostic messages) or from its plain output (`Error: …` blocks),
 * colours removed, secrets redacted, kept short.
 */
import { redactSecrets } from './secret-text.js';

export const MAX_FAILURE_REASON = 1_000;

export const NO_ERROR_FOUND =
  "Terraform's apply failed without an error message in its output; the pipeline's log has the rest.";

/** Colour and cursor sequences (CSI), and operating-system commands (OSC, e.g. links). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what is removed
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

interface Diagnostic {
  summary: string;
  detail: string;
  address: string | null;
}

/**
 * Why an apply failed, from Terraform's output (plain text or `-json` lines): its error diagnostics,
 * with anything secret-looking removed, at most 1,000 characters.
 */
export function applyFailureReason(log: string): string {
  const lines = log.replace(ANSI, '').split(/\r?\n/);
  const found = jsonDiagnostics(lines);
  const errors = found.length > 0 ? found : plainDiagnostics(lines);
  const reason = [...new Set(errors.map(sentence))].join('\n');
  if (reason === '') return NO_ERROR_FOUND;
  const safe = redactSecrets(reason);
  return safe.length <= MAX_FAILURE_REASON ? safe : `${safe.slice(0, MAX_FAILURE_REASON - 1)}…`;
}

const sentence = ({ summary, detail, address }: Diagnostic) =>
  `${address ? `${address}: ` : ''}${summary}${detail ? ` — ${detail}` : ''}`;

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** `terraform apply -json`: one JSON message a line; the errors are diagnostics of severity error. */
function jsonDiagnostics(lines: string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      continue;
    }
    const { type, diagnostic } = (message ?? {}) as { type?: unknown; diagnostic?: unknown };
    if (type !== 'diagnostic' || typeof diagnostic !== 'object' || diagnostic === null) continue;
    const { severity, summary, detail, address } = diagnostic as Record<string, unknown>;
    if (severity !== 'error' || typeof summary !== 'string') continue;
    out.push({
      summary: oneLine(summary),
      detail: typeof detail === 'string' ? oneLine(detail) : '',
      address: typeof address === 'string' && address !== '' ? address : null,
    });
  }
  return out;
}

/**
 * Terraform's plain output: each diagnostic a box (╷ │ ╵) that starts `Error: <summary>`, then the
 * resource (`with <address>,`), the source (`on <file> line <n>` and a code snippet), and the detail.
 */
function plainDiagnostics(lines: string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  let current: (Diagnostic & { text: string[] }) | null = null;
  let blanks = 0;
  const close = () => {
    if (current)
      out.push({
        summary: current.summary,
        detail: oneLine(current.text.join(' ')),
        address: current.address,
      });
    current = null;
  };
  for (const raw of lines) {
    const boxEnd = /^\s*╵/.test(raw);
    const line = raw.replace(/^\s*[╷│]\s?/, '');
    const start = /^(?:Error|error): (.*)$/.exec(line.trim());
    if (start) {
      close();
      current = { summary: oneLine(start[1] ?? ''), detail: '', address: null, text: [] };
      blanks = 0;
      continue;
    }
    if (!current) continue;
    if (boxEnd || /^Warning: /.test(line.trim())) {
      close();
      continue;
    }
    if (line.trim() === '') {
      // Without the box (an older Terraform), two blank lines end the diagnostic.
      if (++blanks >= 2 && !/│/.test(raw)) close();
      continue;
    }
    blanks = 0;
    const withAddress = /^\s+with (.+),$/.exec(line);
    if (withAddress) current.address = withAddress[1] ?? null;
    else if (!/^\s+on .+ line \d+/.test(line) && !/^\s*\d+:/.test(line) && !/^\s+[├│]/.test(line))
      current.text.push(line);
  }
  close();
  return out;
}
