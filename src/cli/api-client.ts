import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { hc } from 'hono/client';
import type { AppType } from '../app/http/app.js';
import { CliError, EXIT, invalidInput } from './exit-codes.js';
import { readErrorReason } from './read-input.js';

/** Where a running server is, and how to authenticate to it. */
export interface ClientOptions {
  url?: string;
  token?: string;
  tokenFile?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Which token a command sends: the requesters' API token, or the pipeline's own for the reports. */
export interface TokenKind {
  /** How messages name it. */
  name: string;
  /** The environment variable it is read from. */
  env: string;
  /** Said with a 401: which credential these routes take. */
  refusedHint?: string;
}

export const API_TOKEN: TokenKind = { name: 'API token', env: 'RDS_PROVISIONER_API_TOKEN' };
export const PIPELINE_TOKEN: TokenKind = {
  name: 'pipeline token',
  env: 'RDS_PROVISIONER_PIPELINE_TOKEN',
  refusedHint: "reports take the service's pipeline token, not a requester's API token",
};

/** How to give the token, for every client command's --help and the program's. */
export const tokenHelp = (kind: TokenKind = API_TOKEN) =>
  `Authentication: prefer $${kind.env} or --token-file <file> (- reads standard input); --token <token> works too, but shows in the process list.`;
export const TOKEN_HELP = tokenHelp();

export function clientOptions(command: Command, kind: TokenKind = API_TOKEN): Command {
  return command
    .option('--url <url>', `server URL (default: $RDS_PROVISIONER_URL or ${DEFAULT_URL})`)
    .option('--token-file <file>', `read the ${kind.name} from this file; - reads standard input`)
    .option(
      '--token <token>',
      `the ${kind.name} itself; it shows in the process list, so prefer $${kind.env} or --token-file`,
    )
    .addHelpText('after', `\n${tokenHelp(kind)}`);
}

/** The API token and where it came from; messages name the source, never the token. */
interface Credential {
  token: string;
  source: string;
}

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
    throw invalidInput([{ path: '--token-file', message: `cannot read ${file}: ${readErrorReason(error)}` }]);
  }
  if (!text) throw invalidInput([{ path: '--token-file', message: `${file} is empty` }]);
  return text;
}

/** The token from --token, --token-file or the environment, checked before anything is sent. */
async function credentialFrom(options: ClientOptions, kind: TokenKind): Promise<Credential | undefined> {
  if (options.token !== undefined && options.tokenFile !== undefined)
    throw invalidInput([{ path: '--token-file', message: 'give either --token or --token-file, not both' }]);
  let credential: Credential | undefined;
  if (options.token !== undefined) credential = { token: options.token, source: '--token' };
  else if (options.tokenFile !== undefined)
    credential = {
      token: await readTokenFile(options.tokenFile),
      source: `--token-file ${options.tokenFile}`,
    };
  else if (process.env[kind.env]) credential = { token: process.env[kind.env] as string, source: kind.env };
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

/**
 * The CLI's client of the HTTP API: `api` is Hono's client typed by the server's own routes (hc<AppType>,
 * a type-only import: no server code runs in the CLI). Every call goes through one fetch: the token,
 * "cannot reach the server", and every non-2xx answer as a CliError with the right exit code.
 */
export class ApiClient {
  private readonly base: string;
  private credential: Promise<Credential | undefined> | undefined;
  readonly api: ReturnType<typeof hc<AppType>>;

  constructor(
    private readonly options: ClientOptions,
    private readonly kind: TokenKind = API_TOKEN,
  ) {
    this.base = (options.url ?? process.env.RDS_PROVISIONER_URL ?? DEFAULT_URL).replace(/\/+$/, '');
    this.api = hc<AppType>(this.base, {
      fetch: (input: string | URL | Request, init?: RequestInit) => this.send(input, init),
    });
  }

  /** One HTTP call with the token; a 2xx answer is returned, anything else thrown as a CliError. */
  private async send(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    // Read once: standard input can be read only once, and --wait polls.
    this.credential ??= credentialFrom(this.options, this.kind);
    const credential = await this.credential;
    const headers = new Headers(init.headers);
    headers.set('accept', 'application/json');
    if (credential) headers.set('authorization', `Bearer ${credential.token}`);
    let response: Response;
    try {
      response = await fetch(input, { ...init, headers });
    } catch (error) {
      const reason =
        error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error);
      throw new CliError([`cannot reach the server at ${this.base}: ${reason}`], EXIT.error);
    }
    if (response.ok) return response;
    const text = await response.text();
    throw toCliError(response.status, (text ? safeJson(text) : {}) as ApiErrorBody, credential, this.kind);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function toCliError(
  status: number,
  body: ApiErrorBody,
  credential: Credential | undefined,
  kind: TokenKind,
): CliError {
  if (status === 400 && body.issues)
    return new CliError(
      body.issues.map((i) => `${i.path}: ${i.message}`),
      EXIT.invalid,
    );
  if (status === 401)
    return new CliError(
      [
        (credential
          ? `unauthorized: the server refused the ${kind.name} (from ${credential.source}); check it`
          : `unauthorized: no ${kind.name} given; set ${kind.env} or give --token-file <file>`) +
          (kind.refusedHint ? ` (${kind.refusedHint})` : ''),
      ],
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
