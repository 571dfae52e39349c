import type { Command } from 'commander';
import { CliError, EXIT } from './exit-codes.js';

/** Where a running server is, and how to authenticate to it. */
export interface ClientOptions {
  url?: string;
  token?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export function clientOptions(command: Command): Command {
  return command
    .option('--url <url>', `server URL (default: $RDS_PROVISIONER_URL or ${DEFAULT_URL})`)
    .option('--token <token>', 'API token (default: $RDS_PROVISIONER_API_TOKEN)');
}

interface ApiErrorBody {
  error?: string;
  message?: string;
  request_id?: string | null;
  issues?: Array<{ path: string; message: string }>;
}

/** A thin client of the HTTP API for the CLI: every non-2xx answer becomes a CliError with the right exit code. */
export class ApiClient {
  private readonly base: string;
  private readonly token: string | undefined;

  constructor(options: ClientOptions) {
    this.base = (options.url ?? process.env.RDS_PROVISIONER_URL ?? DEFAULT_URL).replace(/\/+$/, '');
    this.token = options.token ?? process.env.RDS_PROVISIONER_API_TOKEN;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const reason =
        error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error);
      throw new CliError([`cannot reach the server at ${this.base}: ${reason}`], EXIT.error);
    }
    const text = await response.text();
    const parsed = text ? (safeJson(text) as T & ApiErrorBody) : ({} as T & ApiErrorBody);
    if (response.ok) return parsed;
    throw toCliError(response.status, parsed);
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
    return new CliError(['unauthorized: give --token or set RDS_PROVISIONER_API_TOKEN'], EXIT.error);
  if (status === 409)
    return new CliError([`conflict: ${body.message ?? body.error ?? 'conflict'}`], EXIT.conflict);
  if (status === 413 || status === 415) return new CliError([body.message ?? `HTTP ${status}`], EXIT.invalid);
  return new CliError([`${body.error ?? `HTTP ${status}`}: ${body.message ?? ''}`.trim()], EXIT.error);
}
