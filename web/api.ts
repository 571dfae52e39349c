import { hc, type InferRequestType, type InferResponseType, parseResponse } from 'hono/client';
import type { DatabasesApi } from '../src/app/http/databases.js';
import type { ChangeV1 } from '../src/domain/change.js';

/**
 * The HTTP API as the page uses it: the bearer token from the tab's session, JSON in and out. The
 * /databases routes go through Hono's client typed by the server's own routes (a type-only import: no
 * server code is bundled); the other routes are not chained on the server, so they go through `call`.
 */

export const STATUSES = ['queued', 'processing', 'pr_open', 'merged', 'closed', 'failed'] as const;
export type Status = (typeof STATUSES)[number];
export const TERMINAL: readonly string[] = ['merged', 'closed', 'failed'];

export interface FieldIssue {
  path: string;
  message: string;
}

/** A JSON Schema as far as the form reads it. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxProperties?: number;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export interface VersionChoice {
  default: string;
  allowed: string[];
}

export interface EnginePolicy {
  deployments: string[];
  default_deployment: string;
  engine_versions: Record<string, VersionChoice>;
}

export interface EnvironmentPolicy {
  engines: Record<string, EnginePolicy>;
  sizes: { default: string; allowed: string[] };
  instances: { default: number; min: number; max: number };
  owner_required: boolean;
}

export interface RequestForm {
  schema: JsonSchema;
  default_environment: string;
  environments: Record<string, EnvironmentPolicy>;
}

export interface PullRequestRef {
  number: number;
  url: string;
  branch: string;
}

type DatabasesClient = ReturnType<typeof hc<DatabasesApi>>;
type OneDatabase = DatabasesClient['databases'][':db_name'];

/** A page of GET /databases. */
export type DatabaseList = InferResponseType<DatabasesClient['databases']['$get'], 200>;
export type DatabaseSummary = DatabaseList['databases'][number];
/** GET /databases/{db_name}: the summary, the file, and every request for the name. */
export type DatabaseDetail = InferResponseType<OneDatabase['$get'], 200>;
export type DatabaseQuery = InferRequestType<DatabasesClient['databases']['$get']>['query'];
/**
 * A change (PATCH /databases/{db_name}): a JSON merge patch of the settings it moves, as the server's
 * schema reads it. The route's body schema first screens its input (a preprocess step), so Hono's client
 * takes any JSON there; the page sends the type the schema gives.
 */
export type Change = ChangeV1;
/** What a change or a retirement would do (?dry_run=true): the file's diff and the pull request. */
export type LifecyclePreview = InferResponseType<OneDatabase['$patch'], 200>;
/** A request as GET /requests/{id} answers it, the same shape as a database's requests. */
export type RequestView = DatabaseDetail['requests'][number];

export interface RequestList {
  requests: RequestView[];
  next_cursor: string | null;
}

/** A pull request of the local git host (GET /pulls/{number}), with its body and diff. */
export interface PullRequestDetail {
  number: number;
  title: string;
  branch: string;
  base: string;
  state: 'open' | 'merged' | 'closed';
  request_id: string | null;
  url: string;
  created_at: string;
  updated_at: string;
  merge_commit: string | null;
  body: string;
  diff: string;
}

export type PullRequestSummary = Omit<PullRequestDetail, 'body' | 'diff'>;

export interface DryRun {
  dry_run: true;
  file_path: string;
  branch: string;
  base: string;
  content: string;
  pull_request: { title: string; body: string };
}

export interface Accepted {
  request_id: string;
  status: string;
  status_url: string;
}

/** Any answer but a 2xx: the status and the body the API sent, if it was JSON. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; issues?: FieldIssue[]; request_id?: string | null },
  ) {
    super(body.message ?? `the service answered ${status}${body.error ? ` (${body.error})` : ''}`);
  }
  get issues(): FieldIssue[] {
    return Array.isArray(this.body.issues) ? this.body.issues : [];
  }
}

const TOKEN_KEY = 'rds-provisioner.token';

/** The token lives in sessionStorage only: this tab, until it closes. Never localStorage, never the URL. */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Routes are relative to the page, so the page works under a path prefix (an API Gateway stage). */
const base = () => new URL('.', document.baseURI);

export class Api {
  /** Called on every 401, after the token is dropped. */
  onUnauthorized: (error: ApiError) => void = () => {};

  /** The /databases routes, typed by the server; every call goes through `send`. */
  readonly databases: DatabasesClient['databases'] = hc<DatabasesApi>(base().href, {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => this.send(input, init),
  }).databases;

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    return (await readJson(await this.send(new URL(path, base()), init))) as T;
  }

  /** One call with the tab's token: a 2xx answer is returned, any other thrown as an ApiError. */
  private async send(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('accept', 'application/json');
    const token = session.token();
    if (token) headers.set('authorization', `Bearer ${token}`);
    let response: Response;
    try {
      response = await fetch(input, { ...init, headers, cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new ApiError(0, { error: 'network', message: 'the service could not be reached; try again' });
    }
    if (response.ok) return response;
    const error = new ApiError(response.status, ((await readJson(response)) ?? {}) as ApiError['body']);
    if (response.status === 401) {
      session.signOut();
      this.onUnauthorized(error);
    }
    throw error;
  }

  requestForm = () => this.call<RequestForm>('GET', 'request-form');
  preview = (request: Record<string, unknown>) =>
    this.call<DryRun>('POST', 'provision?dry_run=true', request);
  provision = (request: Record<string, unknown>) => this.call<Accepted>('POST', 'provision', request);
  get = (id: string) => this.call<RequestView>('GET', `requests/${encodeURIComponent(id)}`);
  /** `path` is the pull request's own path on this origin (`/pulls/7`), taken from its URL. */
  pull = (path: string) => this.call<PullRequestDetail>('GET', path);
  pullAction = (path: string, action: 'merge' | 'close') =>
    this.call<PullRequestSummary>('POST', `${path}/${action}`);
  list = (query: { status?: string; cursor?: string; limit?: number }) => {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.cursor) params.set('cursor', query.cursor);
    params.set('limit', String(query.limit ?? 20));
    return this.call<RequestList>('GET', `requests?${params}`);
  };

  listDatabases = (query: DatabaseQuery) => parseResponse(this.databases.$get({ query }));
  database = (name: string) =>
    parseResponse(this.databases[':db_name'].$get({ param: { db_name: encodeURIComponent(name) } }));
  /** PATCH ?dry_run=true: the diff and pull request the change would open; nothing is recorded. */
  previewChange = async (name: string, change: Change) =>
    dryRunOf(await parseResponse(this.databases[':db_name'].$patch(changeArgs(name, change, true))));
  change = async (name: string, change: Change) =>
    acceptedOf(await parseResponse(this.databases[':db_name'].$patch(changeArgs(name, change, false))));
  previewRetire = async (name: string) =>
    dryRunOf(await parseResponse(this.databases[':db_name'].$delete(retireArgs(name, true))));
  retire = async (name: string) =>
    acceptedOf(await parseResponse(this.databases[':db_name'].$delete(retireArgs(name, false))));
}

const changeArgs = (name: string, json: Change, dryRun: boolean) => ({
  param: { db_name: encodeURIComponent(name) },
  query: dryRun ? { dry_run: 'true' as const } : {},
  json,
});
const retireArgs = (name: string, dryRun: boolean) => ({
  param: { db_name: encodeURIComponent(name) },
  query: dryRun ? { dry_run: 'true' as const } : {},
});

/** PATCH and DELETE answer 200 with a preview on a dry run and 202 otherwise; each caller knows which. */
type LifecycleAnswer = LifecyclePreview | InferResponseType<OneDatabase['$patch'], 202>;
function dryRunOf(answer: LifecycleAnswer): LifecyclePreview {
  if ('dry_run' in answer) return answer;
  throw new ApiError(0, { message: 'the service queued a request instead of previewing it' });
}
function acceptedOf(answer: LifecycleAnswer): Accepted {
  if ('request_id' in answer) return answer;
  throw new ApiError(0, { message: 'the service answered with a preview instead of queueing the request' });
}

/** A body as JSON; one that is not JSON becomes a message naming the status. */
async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return { message: `the service answered ${response.status} with a body that is not JSON` };
  }
}
