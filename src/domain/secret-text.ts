/**
 * Text from outside (a tool's output, an error message) made safe to keep and show: whatever looks like a
 * credential is replaced by a marker. Shapes, not knowledge: the values themselves are never known here.
 */

export const REDACTED = '[redacted]';

/** A name that says its value is secret: password, secret_key, api-token, PRIVATE_KEY, … */
const KEY =
  '[A-Za-z0-9_.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*';

/** `"key": "…"`, `key = …`, `key=…`, `key: …` (a colon needs a space after it, so ARNs stay whole). */
const KEY_VALUE = new RegExp(
  String.raw`("${KEY}"\s*:\s*|'${KEY}'\s*:\s*|\b${KEY}\s*=\s*|\b${KEY}:\s+)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&)}\]]+)`,
  'gi',
);

/** Upper and lower case letters and a digit (or / +): a random key, not a word, a hex digest or an id. */
const mixedCase = (s: string) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9/+]/.test(s);

const PATTERNS: Array<[RegExp, (match: string, ...groups: string[]) => string]> = [
  // PEM blocks (a key, a certificate), also when cut off before their END line.
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g, () => `${REDACTED} (PEM block)`],
  [KEY_VALUE, (_match, key) => `${key}${REDACTED}`],
  // Authorization header values: a scheme, then a credential with a digit or a base64 sign in it.
  [
    /\b(bearer|basic)\s+(?=[A-Za-z0-9._~+/=-]*[0-9+/=])[A-Za-z0-9._~+/=-]{8,}/gi,
    (_match, scheme) => `${scheme} ${REDACTED}`,
  ],
  // AWS access key IDs (AKIA…, ASIA…), and what looks like a secret access key.
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b/g, () => REDACTED],
  [
    /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    (match) => (mixedCase(match) ? REDACTED : match),
  ],
  // GitHub tokens, JSON Web Tokens.
  [/\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})\b/g, () => REDACTED],
  [/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g, () => REDACTED],
];

/** `text` with every secret-looking value replaced by [redacted]. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replace] of PATTERNS) out = out.replace(pattern, replace);
  return out;
}
