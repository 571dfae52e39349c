import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError, EXIT, invalidInput } from './exit-codes.js';

/** Where a running server is, and how to authenticate to it. */
export interface ClientOptions {
  url?: string;
  token?: string;
  tokenFile?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';
const TOKEN_ENV = 'RDS_PROVISIONER_API_TOKEN';

/** How to give the API token, for every client command's --help and the program's. */
export const TOKEN_HELP = `Authentication: prefer $${TOKEN_ENV} or --token-file <file> (- reads standard input); --token <token> works too, but shows in the process list.`;

export function clientOptions(command: Command): Command {
  return command
    .option('--url <url>', `server URL (default: $RDS_PROVISIONER_URL or ${DEFAULT_URL})`)
    .option('--token-file <file>', `read the API token from this file; - reads standard input`)
    .option(
      '--token <token>',
      `the API token itself; it shows in the process list, so prefer $${TOKEN_ENV} or --token-file`,
    )
    .addHelpText('after', `\n${TOKEN_HELP}`);
}

/** The API token and where it came from; messages name the source, never the token. */
interface Credential {
  token: string;
  source: string;
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
};

async function readTokenFile(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (!text) throw invalidInput([{ path: '--token-file', message: 'standard input is empty' }]);
    return text;
  }
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = Object.hasOwn(READ_ERRORS, code) ? READ_ERRORS[code] : code || String(error);
    throw invalidInput([{ path: '--token-file', message: `cannot read ${file}: ${reason}` }]);
  }
  if (!text) throw invalidInput([{ path: '--token-file', message: `${file} is empty` }]);
  return text;
}

/** The token from --token, --token-file or the environment, checked before anything is sent. */
async function credentialFrom(options: ClientOptions): Promise<Credential | undefined> {
  if (options.token !== undefined && options.tokenFile !== undefined)
    throw invalidInput([{ path: '--token-file', message: 'give either --token or --token-file, not both' }]);
  let credential: Credential | undefined;
  if (options.token !== undefined) credential = { token: options.token, source: '--token' };
  else if (options.tokenFile !== undefined)
    credential = {
      token: await readTokenFile(options.tokenFile),
      source: `--token-file ${options.tokenFile}`,
    };
  else if (process.env[TOKEN_ENV]) credential = { token: process.env[TOKEN_ENV], source: TOKEN_ENV };
  // A header carries visible ASCII only; anything else would fail as "cannot reach the server".
  if (credential && !/^[\x21-\x7e]+$/.test(credential.token)) {
    const path = credential.source.split(' ')[0] as string;
    throw invalidInput([{ path, message: 'the token must be one word of visible ASCII characters' }]);
  }
  return credential;
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
  private credential: Promise<Credential | undefined> | undefined;

  constructor(private readonly options: ClientOptions) {
    this.base = (options.url ?? process.env.RDS_PROVISIONER_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    // Read once: standard input can be read only once, and --wait polls.
    this.credential ??= credentialFrom(this.options);
    const credential = await this.credential;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credential) headers.authorization = `Bearer ${credential.token}`;
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
    throw toCliError(response.status, parsed, credential);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function toCliError(status: number, body: ApiErrorBody, credential: Credential | undefined): CliError {
  if (status === 400 && body.issues)
    return new CliError(
      body.issues.map((i) => `${i.path}: ${i.message}`),
      EXIT.invalid,
    );
  if (status === 401)
    return new CliError(
      [
        credential
          ? `unauthorized: the server refused the API token (from ${credential.source}); check it`
          : `unauthorized: no API token given; set ${TOKEN_ENV} or give --token-file <file>`,
      ],
      EXIT.error,
    );
  if (status === 409)
    return new CliError([`conflict: ${body.message ?? body.error ?? 'conflict'}`], EXIT.conflict);
  if (status === 413 || status === 415) return new CliError([body.message ?? `HTTP ${status}`], EXIT.invalid);
  return new CliError([`${body.error ?? `HTTP ${status}`}: ${body.message ?? ''}`.trim()], EXIT.error);
}
