/**
 * What a failed GitHub call means for the worker. Octokit's errors carry the request (its Authorization
 * header redacted, but still the URL and body) and GitHub's response; a GitHostError carries one sentence
 * built from the operation, the status and GitHub's own message, with anything that looks like a credential
 * taken out.
 */
import { GitHostError } from '../../ports.js';

/** The parts of an `@octokit/request-error` RequestError (or a network error wrapped as one) we read. */
export interface RequestErrorLike {
  status: number;
  message: string;
  response?: { status: number; headers: Record<string, string | number | undefined>; data?: unknown };
}

export function isRequestError(error: unknown): error is RequestErrorLike {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { status?: unknown }).status === 'number' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/** A response GitHub actually sent (as opposed to a network failure octokit reports as status 500). */
export function responseOf(error: unknown): RequestErrorLike['response'] | undefined {
  return isRequestError(error) ? error.response : undefined;
}

/** Thrown before any request is sent while the client is paused for longer than it may wait. */
export class GitHubPausedError extends Error {
  constructor(
    readonly waitMs: number,
    readonly reason: string,
  ) {
    super(`GitHub requests paused for ${Math.ceil(waitMs)} ms more (${reason})`);
    this.name = 'GitHubPausedError';
  }
}

const SECRET_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bgh[pousr]_[A-Za-z0-9]{16,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{16,}\b/g,
  /\bv1\.[0-9a-f]{40}\b/g,
  /\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b(access_token|client_secret|token)=[^&\s]+/gi,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g,
];

/** Removes credentials: the configured ones verbatim, and anything shaped like a GitHub token or a key. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  }
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '[REDACTED]');
  return out;
}

const header = (error: RequestErrorLike, name: string): string | undefined => {
  const value = error.response?.headers?.[name];
  return value === undefined ? undefined : String(value);
};

/** GitHub's message and the messages of its validation errors, without the documentation link. */
export function githubMessage(error: RequestErrorLike): string {
  const data = error.response?.data;
  if (data && typeof data === 'object') {
    const { message, errors } = data as { message?: unknown; errors?: unknown };
    const parts: string[] = [];
    if (typeof message === 'string') parts.push(message);
    if (Array.isArray(errors)) {
      for (const item of errors) {
        if (typeof item === 'string') parts.push(item);
        else if (item && typeof item === 'object') {
          const e = item as { message?: unknown; code?: unknown; field?: unknown; resource?: unknown };
          if (typeof e.message === 'string') parts.push(e.message);
          else if (typeof e.code === 'string')
            parts.push([e.resource, e.field, e.code].filter((x) => typeof x === 'string').join(' '));
        }
      }
    }
    if (parts.length) return parts.join(': ');
  }
  if (typeof data === 'string' && data.trim()) return data.trim();
  // A network failure: octokit's message is the cause's ("read ECONNRESET", "other side closed", ...).
  return error.message.replace(/ - https:\/\/docs\.github\.com\S*$/, '');
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Rate-limit signals on a 403 or 429: GitHub's documented headers and messages. */
export function rateLimitSignal(error: RequestErrorLike): 'primary' | 'secondary' | null {
  if (!error.response) return null;
  if (error.status !== 403 && error.status !== 429) return null;
  const message = githubMessage(error);
  if (/secondary rate limit|abuse detection/i.test(message)) return 'secondary';
  if (header(error, 'x-ratelimit-remaining') === '0') return 'primary';
  if (header(error, 'retry-after') !== undefined) return 'secondary';
  if (/rate limit/i.test(message)) return 'primary';
  const errors = (error.response.data as { errors?: Array<{ type?: unknown }> } | undefined)?.errors;
  if (Array.isArray(errors) && errors.some((e) => e?.type === 'RATE_LIMITED')) return 'primary';
  return error.status === 429 ? 'secondary' : null;
}

export interface TimeBase {
  /** GitHub seconds per real second: 1 in production; a simulator's tests and benchmarks run faster. */
  timeScale: number;
  /** Real seconds to wait on a secondary limit that names no `retry-after` (GitHub: one minute, scaled). */
  fallbackSecondaryRetryAfterS: number;
}

/**
 * Real milliseconds until GitHub accepts requests again, from a response's headers. `retry-after` and
 * `x-ratelimit-reset` are real on the wire (seconds, and epoch seconds), whatever the time scale.
 */
export function rateLimitWaitMs(
  headers: Record<string, string | number | undefined>,
  kind: 'primary' | 'secondary',
  time: TimeBase,
  now = Date.now(),
): number {
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) {
    return retryAfter * 1000;
  }
  const reset = Number(headers['x-ratelimit-reset']);
  if (kind === 'primary' && Number.isFinite(reset) && reset > 0) {
    // A second past the reset, as GitHub's documentation advises (and plugin-throttling waits).
    return Math.max(0, reset * 1000 - now + 1000);
  }
  return time.fallbackSecondaryRetryAfterS * 1000;
}

export interface ClassifyContext {
  /** What we tried, e.g. "create branch feature/x in acme/infra". */
  what: string;
  /** `owner/repo`, for messages about access. */
  repository: string;
  secrets: readonly string[];
  time: TimeBase;
}

/**
 * Maps a failure to the port's kinds: `permanent` when asking again cannot help (credentials, access,
 * validation), `transient` when it may (5xx, network, timeouts, rate limits; with `retryAfterMs` when the
 * wait is known, in real milliseconds).
 */
export function classifyError(error: unknown, ctx: ClassifyContext): GitHostError {
  if (error instanceof GitHostError) return error;
  const safe = (text: string) => clip(redact(text, ctx.secrets));
  if (error instanceof GitHubPausedError) {
    return new GitHostError(
      safe(`GitHub rate limit: could not ${ctx.what}; ${error.message}`),
      'transient',
      Math.ceil(error.waitMs),
    );
  }
  if (!isRequestError(error)) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new GitHostError(
      safe(`GitHub request failed while trying to ${ctx.what}: ${message}`),
      'transient',
    );
  }
  const status = error.status;
  const detail = safe(githubMessage(error));
  if (!error.response) {
    // Octokit reports a network failure (reset, refused, DNS, timeout) as a 500 with no response.
    return new GitHostError(safe(`GitHub unreachable while trying to ${ctx.what}: ${detail}`), 'transient');
  }
  const limit = rateLimitSignal(error);
  if (limit) {
    const wait = Math.ceil(rateLimitWaitMs(error.response.headers, limit, ctx.time));
    return new GitHostError(
      safe(`GitHub ${limit} rate limit (${status}) while trying to ${ctx.what}: ${detail}`),
      'transient',
      wait,
    );
  }
  if (status === 401) {
    return new GitHostError(
      safe(
        `GitHub rejected the credentials (401 ${detail}) while trying to ${ctx.what}; check the token or the GitHub App's id, key and installation`,
      ),
      'permanent',
    );
  }
  if (status === 403) {
    return new GitHostError(
      safe(
        `GitHub denied access (403 ${detail}) while trying to ${ctx.what}; the credentials lack permission on ${ctx.repository}`,
      ),
      'permanent',
    );
  }
  if (status === 404) {
    return new GitHostError(
      safe(
        `GitHub found nothing (404 ${detail}) while trying to ${ctx.what}; ${ctx.repository} does not exist, or these credentials cannot see it or write to it`,
      ),
      'permanent',
    );
  }
  if (status === 408 || status === 409 || status >= 500) {
    const retryAfter = Number(error.response.headers['retry-after']);
    return new GitHostError(
      safe(`GitHub ${status} while trying to ${ctx.what}: ${detail}`),
      'transient',
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    );
  }
  return new GitHostError(safe(`GitHub refused to ${ctx.what} (${status} ${detail})`), 'permanent');
}
