import type { Command } from 'commander';
import { hc } from 'hono/client';
import type { AppType } from '../app/http/app.js';
import { clientAuth } from './auth-mode.js';
import {
  type AuthOptions,
  authHelp,
  authOptions,
  type Caller,
  type ClientAuth,
  REQUESTER,
} from './client-auth.js';
import { CliError, EXIT } from './exit-codes.js';

/** Where a running server is, and how to authenticate to it (./client-auth.ts). */
export interface ClientOptions extends AuthOptions {
  url?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** How to authenticate, for the program's --help. */
export const TOKEN_HELP = authHelp();

export function clientOptions(command: Command, caller: Caller = REQUESTER): Command {
  return authOptions(
    command.option('--url <url>', `server URL (default: $RDS_PROVISIONER_URL or ${DEFAULT_URL})`),
    caller,
  );
}

interface ApiErrorBody {
  error?: string;
  message?: string;
  /** API Gateway's IAM policy denials say Message. */
  Message?: string;
  request_id?: string | null;
  issues?: Array<{ path: string; message: string }>;
}

/**
 * The CLI's client of the HTTP API: `api` is Hono's client typed by the server's own routes (hc<AppType>,
 * a type-only import: no server code runs in the CLI). Every call goes through one fetch: the credential
 * of the chosen auth mode, "cannot reach the server", and every non-2xx answer as a CliError with the
 * right exit code.
 */
export class ApiClient {
  private readonly base: string;
  private auth: Promise<ClientAuth> | undefined;
  readonly api: ReturnType<typeof hc<AppType>>;

  constructor(
    private readonly options: ClientOptions,
    private readonly caller: Caller = REQUESTER,
  ) {
    this.base = (options.url ?? process.env.RDS_PROVISIONER_URL ?? DEFAULT_URL).replace(/\/+$/, '');
    this.api = hc<AppType>(this.base, {
      fetch: (input: string | URL | Request, init?: RequestInit) => this.send(input, init),
    });
  }

  /** One HTTP call, authenticated; a 2xx answer is returned, anything else thrown as a CliError. */
  private async send(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    // Set up once: standard input can be read only once, and --wait polls.
    this.auth ??= clientAuth(this.options, this.caller, this.base);
    const auth = await this.auth;
    const url = input instanceof Request ? input.url : String(input);
    const method = init.method ?? 'GET';
    const call = new Headers(init.headers);
    call.set('accept', 'application/json');
    // hc sends JSON bodies as strings: what is signed is what is sent.
    const body = typeof init.body === 'string' ? init.body : null;
    const headers = await auth.headers({ url, method, headers: call, body });
    let response: Response;
    try {
      response = await fetch(url, { ...init, method, headers });
    } catch (error) {
      const reason =
        error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error);
      throw new CliError([`cannot reach the server at ${this.base}: ${reason}`], EXIT.error);
    }
    if (response.ok) return response;
    const text = await response.text();
    const answer = (text ? safeJson(text) : {}) as ApiErrorBody;
    const refused =
      response.status === 401 || response.status === 403
        ? auth.refusal({
            status: response.status,
            message: answer.message ?? answer.Message,
            errorType: response.headers.get('x-amzn-errortype'),
            method,
            url,
            base: this.base,
          })
        : undefined;
    throw refused ?? toCliError(response.status, answer);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function toCliError(status: number, body: ApiErrorBody): CliError {
  if (status === 400 && body.issues)
    return new CliError(
      body.issues.map((i) => `${i.path}: ${i.message}`),
      EXIT.invalid,
    );
  if (status === 401)
    return new CliError(
      [`unauthorized: ${body.message ?? 'the server refused the credentials'}`],
      EXIT.error,
    );
  if (status === 403)
    return new CliError([`forbidden: ${body.message ?? 'the server refused this request'}`], EXIT.error);
  if (status === 404) return new CliError([`not found: ${body.message ?? 'no such thing'}`], EXIT.error);
  if (status === 409)
    return new CliError([`conflict: ${body.message ?? body.error ?? 'conflict'}`], EXIT.conflict);
  if (status === 413 || status === 415) return new CliError([body.message ?? `HTTP ${status}`], EXIT.invalid);
  return new CliError([`${body.error ?? `HTTP ${status}`}: ${body.message ?? ''}`.trim()], EXIT.error);
}
