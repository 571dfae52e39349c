import { hc, type InferRequestType, type InferResponseType, parseResponse } from 'hono/client';
import type { StatusCode } from 'hono/utils/http-status';
import type { AppType } from '../src/app/http/app.js';
import type { ChangeV1 } from '../src/domain/change.js';
import { STATUSES as DOMAIN_STATUSES } from '../src/domain/status.js';
import { authorize, type Credential } from './credentials.js';

/**
 * The HTTP API as the page uses it: Hono's client typed by the server's own routes (hc<AppType>, a
 * type-only import: no server code is bundled), with the tab's credential on every call. Every type the
 * page reads is derived from those routes; nothing is copied by hand.
 */

type Client = ReturnType<typeof hc<AppType>>;
type OneRequest = Client['requests'][':id'];
type OneDatabase = Client['databases'][':db_name'];
type OnePull = Client['pulls'][':number'];
type Answer<Route, Status extends StatusCode = 200> = InferResponseType<Route, Status>;

/** GET /health: which credential the other routes take (bearer, iam or api_key). */
export type CredentialKind = Answer<Client['health']['$get']>['auth'];
/** GET /auth/config: whether the page may sign in through an OIDC provider, and where. */
export type AuthConfig = Answer<Client['auth']['config']['$get']>;
/** GET /whoami: who the credential is, their role and scope, and what they may do. */
export type Whoami = Answer<Client['whoami']['$get']>;

/** A bad field, as every 400 of the API names it. */
export type FieldIssue = Answer<Client['provision']['$post'], 400>['issues'][number];

/** GET /request-form: the request's JSON Schema and, per environment, what its policy offers. */
export type RequestForm = Answer<Client['request-form']['$get']>;
export type EnvironmentPolicy = RequestForm['environments'][string];
/** What POST /provision takes: the form's values, checked by the server (which names each bad field). */
type ProvisionRequest = InferRequestType<Client['provision']['$post']>['json'];
/** POST /provision?dry_run=true: the file and pull request the request would produce. */
export type DryRun = Answer<Client['provision']['$post'], 200>;
/** A queued request (202), to follow at its status_url. */
export type Accepted = Answer<Client['provision']['$post'], 202>;

/** A request as GET /requests/{id} answers it, the same shape as a database's requests. */
export type RequestView = Answer<OneRequest['$get']>;
export type RequestQuery = InferRequestType<Client['requests']['$get']>['query'];
export type Status = NonNullable<RequestQuery['status']>;

/** A pull request of the local git host (GET /pulls/{number}), with its body and diff. */
export type PullRequestDetail = Answer<OnePull['$get']>;

/** A page of GET /databases. */
export type DatabaseList = Answer<Client['databases']['$get']>;
export type DatabaseSummary = DatabaseList['databases'][number];
/** GET /databases/{db_name}: the summary, the file, and every request for the name. */
export type DatabaseDetail = Answer<OneDatabase['$get']>;
export type DatabaseQuery = InferRequestType<Client['databases']['$get']>['query'];
/**
 * A change (PATCH /databases/{db_name}): a JSON merge patch of the settings it moves, as the server's
 * schema reads it. The route's body schema first screens its input (a preprocess step), so Hono's client
 * takes any JSON there; the page sends the type the schema gives.
 */
export type Change = ChangeV1;
/** What a change or a retirement would do (?dry_run=true): the file's diff and the pull request. */
export type LifecyclePreview = Answer<OneDatabase['$patch']>;

/**
 * Every status, in the order a request lives them: the list's filter offers each. The domain's own list
 * (one home for the rule), held to the route's filter by `satisfies` here and both ways by
 * test/unit/web-typed-client.test.ts.
 */
export const STATUSES = DOMAIN_STATUSES satisfies readonly Status[];
/**
 * Where following a request stops: nothing more is expected. `merged`, `applying` and `apply_failed` are
 * followed on (the pipeline reports the apply, and a failed apply may run again); `closed` and `failed`
 * move on only when someone merges their pull request by hand.
 */
export const SETTLED: readonly Status[] = ['ready', 'closed', 'failed'];

/** What the request page shows of the pipeline's reports and the cost estimate. */
export type CostEstimate = NonNullable<RequestView['cost']>;
export type PlanSummary = NonNullable<RequestView['plan']>;
export type ConnectionDetails = NonNullable<RequestView['connection']>;
/** Where a database stands against its files, from the nightly plan (GET /databases, GET /databases/{name}). */
export type DriftReport = NonNullable<DatabaseSummary['drift']>;

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
  /**
   * The tab's credential was refused: by the service (401), or by API Gateway before the service (403 with
   * the gateway's own `{"message"}`: a bad signature, an unknown or expired key; every 403 of the service
   * names its `error`).
   */
  get credentialRefused(): boolean {
    return this.status === 401 || (this.status === 403 && this.body.error === undefined);
  }
}

/** Where the API is and the credential to send: the page gives its own address and the tab's session. */
export interface ApiPlace {
  /** The API's root, ending in '/' (the page's own directory: it works under a path prefix). */
  base: string;
  credential: () => Credential | null;
}

/**
 * Every answer read fresh from the service (never the browser's HTTP cache), and no cookies: the tab's
 * credential is the only one. `cache` is DOM's RequestInit field (Node's fetch takes it too, its types do
 * not).
 */
const FRESH = { cache: 'no-store', credentials: 'omit' } as const;

export class Api {
  /** Called whenever the credential is refused (ApiError.credentialRefused). */
  onUnauthorized: (error: ApiError) => void = () => {};

  /** Every route, typed by the server; every call goes through `send`. */
  private readonly client: Client;

  constructor(private readonly place: ApiPlace) {
    this.client = hc<AppType>(place.base, {
      fetch: (input: string | URL | Request, init?: RequestInit) => this.send(input, init),
    });
  }

  /**
   * One call with the tab's credential (none for a public route): a 2xx answer is returned, any other
   * thrown as an ApiError. A signed call is signed as fetch sends it: the same URL, method and body.
   */
  private async send(
    input: string | URL | Request,
    init: RequestInit = {},
    credential = this.place.credential(),
  ): Promise<Response> {
    const url = input instanceof Request ? input.url : String(input);
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? init.body : null;
    const plain = new Headers(init.headers);
    plain.set('accept', 'application/json');
    let headers: Headers;
    try {
      headers = credential ? await authorize({ url, method, headers: plain, body }, credential) : plain;
    } catch (error) {
      throw new ApiError(0, { message: `the call could not be signed (${(error as Error).message})` });
    }
    let response: Response;
    try {
      response = await fetch(url, { ...init, method, headers, ...FRESH });
    } catch {
      throw new ApiError(0, { error: 'network', message: 'the service could not be reached; try again' });
    }
    if (response.ok) return response;
    const error = new ApiError(response.status, ((await readJson(response)) ?? {}) as ApiError['body']);
    if (credential && error.credentialRefused) this.onUnauthorized(error);
    throw error;
  }

  /** A public route's call: no credential is sent, even when the tab holds one. */
  private readonly withoutCredential = {
    fetch: (input: string | URL | Request, init?: RequestInit) => this.send(input, init, null),
  };

  /** GET /health, public: the kind of credential the service takes, asked before signing in. */
  credentialKind = async (): Promise<CredentialKind> =>
    (await parseResponse(this.client.health.$get(undefined, this.withoutCredential))).auth;

  /** GET /auth/config, public: asked before signing in, to offer the OIDC provider when there is one. */
  authConfig = () => parseResponse(this.client.auth.config.$get(undefined, this.withoutCredential));
  whoami = () => parseResponse(this.client.whoami.$get());

  requestForm = () => parseResponse(this.client['request-form'].$get());
  preview = async (request: Record<string, unknown>) =>
    previewOf(await parseResponse(this.client.provision.$post(provisionArgs(request, true))));
  provision = async (request: Record<string, unknown>) =>
    acceptedOf(await parseResponse(this.client.provision.$post(provisionArgs(request, false))));
  get = (id: string) =>
    parseResponse(this.client.requests[':id'].$get({ param: { id: segment(id, 'id', 'a request id') } }));
  list = (query: { status?: Status | undefined; cursor?: string | undefined; limit?: number }) =>
    parseResponse(
      this.client.requests.$get({
        query: { status: query.status, cursor: query.cursor, limit: String(query.limit ?? 20) },
      }),
    );

  /** A pull request of the local git host, by its number (the page's address for it names it). */
  pull = (number: number) => parseResponse(this.client.pulls[':number'].$get(pullArgs(number)));
  pullAction = (number: number, action: 'merge' | 'close') =>
    parseResponse(this.client.pulls[':number'][action].$post(pullArgs(number)));

  listDatabases = (query: DatabaseQuery) => parseResponse(this.client.databases.$get({ query }));
  database = (name: string) =>
    parseResponse(this.client.databases[':db_name'].$get({ param: databaseParam(name) }));
  /** PATCH ?dry_run=true: the diff and pull request the change would open; nothing is recorded. */
  previewChange = async (name: string, change: Change) =>
    previewOf(await parseResponse(this.client.databases[':db_name'].$patch(changeArgs(name, change, true))));
  change = async (name: string, change: Change) =>
    acceptedOf(
      await parseResponse(this.client.databases[':db_name'].$patch(changeArgs(name, change, false))),
    );
  previewRetire = async (name: string) =>
    previewOf(await parseResponse(this.client.databases[':db_name'].$delete(retireArgs(name, true))));
  retire = async (name: string) =>
    acceptedOf(await parseResponse(this.client.databases[':db_name'].$delete(retireArgs(name, false))));
}

/**
 * A path parameter as one URL segment: Hono's client puts it in the path as given, so it is encoded here.
 * '', '.' and '..' are refused before anything is sent, as the API would refuse a bad parameter: no
 * encoding keeps them one segment ('' drops it, '.' and '..' are resolved away), so the call would reach
 * another route (the list, or the page itself).
 */
function segment(value: string, field: string, what: string): string {
  if (value === '' || value === '.' || value === '..') {
    const message = value === '' ? 'is empty' : `is not ${what}`;
    throw new ApiError(400, {
      error: 'invalid_request',
      message: `${field} ${message}`,
      issues: [{ path: field, message }],
    });
  }
  return encodeURIComponent(value);
}

const databaseParam = (name: string) => ({ db_name: segment(name, 'db_name', 'a database name') });
const pullArgs = (number: number) => ({ param: { number: String(number) } });
const dryRunQuery = (dryRun: boolean) => (dryRun ? { dry_run: 'true' as const } : {});
// The form sends what the person typed, checked by the server, which names each field it refuses.
const provisionArgs = (request: Record<string, unknown>, dryRun: boolean) => ({
  query: dryRunQuery(dryRun),
  json: request as ProvisionRequest,
});
const changeArgs = (name: string, json: Change, dryRun: boolean) => ({
  param: databaseParam(name),
  query: dryRunQuery(dryRun),
  json,
});
const retireArgs = (name: string, dryRun: boolean) => ({
  param: databaseParam(name),
  query: dryRunQuery(dryRun),
});

/** POST /provision, PATCH and DELETE answer 200 with a preview on a dry run and 202 otherwise. */
function previewOf<Preview extends { dry_run: true }>(answer: Preview | Accepted): Preview {
  if ('dry_run' in answer) return answer;
  throw new ApiError(0, { message: 'the service queued a request instead of previewing it' });
}
function acceptedOf(answer: { dry_run: true } | Accepted): Accepted {
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
