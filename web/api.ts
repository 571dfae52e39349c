/** The HTTP API as the page uses it: the bearer token from the tab's session, JSON in and out. */

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

export interface RequestView {
  request_id: string;
  status: string;
  db_name?: string;
  engine?: string;
  environment?: string;
  requester: string;
  request: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  attempts: number;
  pull_request: PullRequestRef | null;
  failure_reason: string | null;
  history: { at: string; status: string; detail?: string }[];
}

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

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = session.token();
    if (token) headers.authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await fetch(new URL(path, base()), init);
    } catch {
      throw new ApiError(0, { error: 'network', message: 'the service could not be reached; try again' });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { message: `the service answered ${response.status} with a body that is not JSON` };
    }
    if (response.ok) return json as T;
    const error = new ApiError(response.status, (json ?? {}) as ApiError['body']);
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
}
