/**
 * The Octokit client the GitHub host uses: `@octokit/plugin-throttling` and `@octokit/plugin-retry`, a
 * personal access token or a GitHub App installation (`@octokit/auth-app`), any API base URL (GitHub
 * Enterprise Server: `https://ghe.example.com/api/v3`), and the pacing of ./pacing.ts around every request:
 *
 *   our outer hook  → fail fast when the pause or the content windows would hold the request past the bound;
 *                     mutations enter a lane, one at a time per credential
 *   plugin-retry    → 5xx, network errors and timeouts: up to `retries` more attempts, backing off 1, 4, 9 s
 *   plugin-throttling → 403/429 rate limits: waits `retry-after` (or until `x-ratelimit-reset`) and retries,
 *                     as long as the wait is within the bound; its write and notification groups are scaled
 *   fetch           → waits out the pause and the mutation spacing, sends with a timeout, and reads the
 *                     rate-limit headers of every response: a spent primary limit or a rate-limited response
 *                     pauses every request on the credential, not just the one that hit it
 *
 * Time scaling: the client's own waits (mutation spacing, content windows, plugin-retry's backoff, the
 * secondary-limit fallback of one minute) are GitHub time divided by `timeScale`. What GitHub sends
 * (`retry-after` seconds, `x-ratelimit-reset` epoch seconds) is real time already and used as it is; so are
 * the request timeout and the bound on a pause.
 */
import { createHash } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import type { Logger } from '../../ports.js';
import {
  GitHubPausedError,
  type RequestErrorLike,
  rateLimitSignal,
  rateLimitWaitMs,
  redact,
  type TimeBase,
} from './errors.js';
import { DEFAULT_PACING, Pacer, type PacingLimits, pacerFor, type RequestKind } from './pacing.js';

export type GitHubAuth =
  | { token: string }
  | { appId: number | string; privateKey: string; installationId: number | string };

export interface GitHubClientOptions {
  auth: GitHubAuth;
  /** REST API root; `https://api.github.com` by default, `https://HOST/api/v3` for GitHub Enterprise Server. */
  baseUrl?: string;
  /** GitHub seconds per real second: 1 in production; tests and benchmarks against a simulator speed it up. */
  timeScale?: number;
  logger: Logger;
  /** Real milliseconds one HTTP attempt may take. Default 10 s. */
  requestTimeoutMs?: number;
  /** Further attempts after a 5xx, a network error or a timeout (plugin-retry). Default 3. */
  retries?: number;
  /** Retries of one request after a rate limit, each after a pause within the bound. Default 3. */
  rateLimitRetries?: number;
  /** Overrides of the pacing limits (spacing in GitHub milliseconds, counts, the pause bound in real ms). */
  pacing?: Partial<PacingLimits>;
  userAgent?: string;
  /** The fetch to send with; the global one by default. */
  fetch?: typeof globalThis.fetch;
}

export interface GitHubClientStats {
  /** HTTP attempts, retries included. */
  reads: number;
  mutations: number;
  /** Installation token requests of a GitHub App. */
  auth: number;
  /** Responses that carried a rate-limit signal. */
  rateLimited: number;
  pauses: number;
  pauseWaitMs: number;
  writeWaitMs: number;
}

const ThrottledOctokit = Octokit.plugin(throttling, retry);
export type GitHubOctokit = InstanceType<typeof ThrottledOctokit>;

export interface GitHubClient {
  readonly octokit: GitHubOctokit;
  readonly baseUrl: string;
  /** What the credentials are: a token (a user's), or a GitHub App (acting as its bot). */
  readonly credential: 'token' | 'app';
  readonly time: TimeBase;
  readonly pacer: Pacer;
  /** Credentials to keep out of every message and log line. */
  readonly secrets: readonly string[];
  readonly logger: Logger;
  stats(): GitHubClientStats;
}

const DEFAULT_BASE_URL = 'https://api.github.com';
const AUTH_PATH = /\/app\/installations\/[^/]+\/access_tokens$|\/applications\/[^/]+\/token(\/scoped)?$/;

function pathOf(url: string): string {
  try {
    return new URL(url, 'http://github.invalid').pathname;
  } catch {
    return url;
  }
}

function kindOf(method: string | undefined, url: string): RequestKind {
  const m = (method ?? 'GET').toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'read';
  return AUTH_PATH.test(pathOf(url)) ? 'auth' : 'write';
}

/** Plugin-throttling's spacing groups (mutations 1 s, notifying mutations 3 s), scaled; one set per scale. */
const groupsByScale = new Map<number, { write: Bottleneck.Group; notifications: Bottleneck.Group }>();
function throttleGroups(timeScale: number) {
  let groups = groupsByScale.get(timeScale);
  if (!groups) {
    groups = {
      write: new Bottleneck.Group({
        id: `octokit-write-${timeScale}`,
        maxConcurrent: 1,
        minTime: 1000 / timeScale,
      }),
      notifications: new Bottleneck.Group({
        id: `octokit-notifications-${timeScale}`,
        maxConcurrent: 1,
        minTime: 3000 / timeScale,
      }),
    };
    groupsByScale.set(timeScale, groups);
  }
  return groups;
}

function credentialId(auth: GitHubAuth): string {
  const raw = 'token' in auth ? `token:${auth.token}` : `app:${auth.appId}:${auth.installationId}`;
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be positive, not ${timeScale}`);
  const time: TimeBase = {
    timeScale,
    fallbackSecondaryRetryAfterS: 60 / timeScale,
  };
  const limits: PacingLimits = { ...DEFAULT_PACING, ...options.pacing };
  const id = createHash('sha256')
    .update(`${baseUrl}\0${credentialId(options.auth)}`)
    .digest('hex')
    .slice(0, 16);
  const pacer = pacerFor(`${id}:${timeScale}:${JSON.stringify(limits)}`, () => new Pacer(timeScale, limits));
  const secrets = 'token' in options.auth ? [options.auth.token] : [options.auth.privateKey];
  const safe = (text: string) => redact(text, secrets);
  const logger = options.logger;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const baseFetch = options.fetch ?? globalThis.fetch;
  const counts = { reads: 0, mutations: 0, auth: 0, rateLimited: 0 };

  /** Reads a response's rate-limit signals; pauses the credential when GitHub asks to wait. */
  async function observe(response: Response, method: string, path: string): Promise<void> {
    const headers = Object.fromEntries(response.headers) as Record<string, string>;
    if (response.status === 403 || response.status === 429) {
      let data: unknown;
      try {
        const text = await response.clone().text();
        data = text ? JSON.parse(text) : undefined;
      } catch {
        data = undefined;
      }
      const asError: RequestErrorLike = {
        status: response.status,
        message: '',
        response: { status: response.status, headers, data },
      };
      const signal = rateLimitSignal(asError);
      if (!signal) return;
      counts.rateLimited++;
      const wait = rateLimitWaitMs(headers, signal, time);
      if (pacer.pauseFor(wait, `${signal} rate limit`)) {
        logger.warn('github rate limit: pausing requests', {
          limit: signal,
          status: response.status,
          method,
          path: safe(path),
          wait_ms: Math.ceil(wait),
          retry_after: headers['retry-after'],
          ratelimit_reset: headers['x-ratelimit-reset'],
        });
      }
      return;
    }
    if (response.status < 400 && headers['x-ratelimit-remaining'] === '0') {
      const wait = rateLimitWaitMs({ 'x-ratelimit-reset': headers['x-ratelimit-reset'] }, 'primary', time);
      if (pacer.pauseFor(wait, 'primary rate limit spent')) {
        logger.warn('github primary rate limit spent: pausing requests until it resets', {
          method,
          path: safe(path),
          wait_ms: Math.ceil(wait),
          ratelimit_reset: headers['x-ratelimit-reset'],
        });
      }
    }
  }

  // Mutations hold the write lane for the HTTP attempt only (not across the plugins' queues, whose
  // timer hops cost ~20 ms a call): still one mutation in flight per token at a time.
  const pacedFetch: typeof globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const kind = kindOf((init?.method ?? 'GET').toUpperCase(), url);
    if (kind !== 'write') return sendPaced(input, init, url, kind);
    return pacer.withWriteLane(() => sendPaced(input, init, url, kind));
  };

  async function sendPaced(
    input: Parameters<typeof globalThis.fetch>[0],
    init: Parameters<typeof globalThis.fetch>[1],
    url: string,
    kind: RequestKind,
  ): Promise<Response> {
    const method = (init?.method ?? 'GET').toUpperCase();
    const path = pathOf(url);
    await pacer.beforeSend(kind);
    if (kind === 'read') counts.reads++;
    else if (kind === 'write') counts.mutations++;
    else counts.auth++;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await baseFetch(input, { ...init, signal });
    } finally {
      pacer.afterSend(kind);
    }
    await observe(response, method, path);
    return response;
  }

  /** Retry after a rate limit only while the whole pause stays within the bound. */
  const onLimit =
    (limit: 'primary' | 'secondary') =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      const waitMs = Math.max(pacer.pausedFor(), retryAfter * 1000);
      const retrying = retryCount < rateLimitRetries && waitMs <= limits.maxPauseMs;
      logger.warn(retrying ? 'github rate limit: retrying after the pause' : 'github rate limit: giving up', {
        limit,
        method: request.method,
        route: safe(request.url.split('?')[0] ?? ''),
        retry_after_s: retryAfter,
        wait_ms: Math.ceil(waitMs),
        retry_count: retryCount,
      });
      return retrying;
    };

  const groups = throttleGroups(timeScale);
  const common = {
    baseUrl,
    userAgent: options.userAgent ?? 'rds-provisioner',
    headers: { 'x-github-api-version': '2022-11-28' },
    request: { fetch: pacedFetch },
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger.warn(safe(`octokit: ${message}`)),
      error: (message: string) => logger.error(safe(`octokit: ${message}`)),
    },
    throttle: {
      id,
      // Its retry-after and reset are GitHub's, real seconds.
      retryAfterBaseValue: 1000,
      fallbackSecondaryRateRetryAfter: time.fallbackSecondaryRetryAfterS,
      write: groups.write,
      notifications: groups.notifications,
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
    },
    retry: {
      retries: options.retries ?? 3,
      retryAfterBaseValue: 1000 / timeScale,
      // 403 and 429 are rate limits for plugin-throttling or permanent; 409 and 422 the host handles.
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
    },
  };
  const octokit =
    'token' in options.auth
      ? new ThrottledOctokit({ ...common, auth: options.auth.token })
      : new ThrottledOctokit({
          ...common,
          authStrategy: createAppAuth,
          auth: {
            appId: options.auth.appId,
            privateKey: options.auth.privateKey,
            installationId: options.auth.installationId,
          },
        });

  // Registered after the plugins, so it wraps them: it runs once per call, whatever they retry inside.
  octokit.hook.wrap('request', async (request, endpoint) => {
    const kind = kindOf(endpoint.method, endpoint.url);
    pacer.admit(kind);
    return request(endpoint);
  });

  return {
    octokit,
    baseUrl,
    credential: 'token' in options.auth ? 'token' : 'app',
    time,
    pacer,
    secrets,
    logger,
    stats: () => ({ ...counts, ...pacer.stats }),
  };
}

export { GitHubPausedError };
