/**
 * Validators for the GitHub REST operations the host uses, built from GitHub's published OpenAPI description
 * as kept in test/fixtures/github-openapi.json (made by scripts/extract-github-openapi.mjs from
 * @octokit/openapi). Every function returns a list of problems: empty means GitHub's description allows it.
 *
 * GitHub's description is OpenAPI 3.0, whose schema objects are close to, but not, JSON Schema. Before
 * compiling with ajv each schema is converted:
 *   - `nullable: true` becomes a `null` member of `type` (and of `enum`, when there is one);
 *   - `oneOf` becomes `anyOf`: GitHub's alternatives are not always exclusive (a 409 body matches both
 *     "Basic Error" and "Repository rule violation"; `null` matches each of three nullable forms), so
 *     `oneOf` would reject bodies GitHub itself sends;
 *   - the non-standard format `repo.nwo` ("owner/name") is defined here; `int64`, `uri` and `date-time`
 *     come from ajv-formats.
 * Path and query parameters arrive as strings and are coerced to the parameter's type, as GitHub does.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default import is the module object in the type system.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export const GITHUB_OPENAPI_FIXTURE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'github-openapi.json',
);

/** An OpenAPI 3.0 schema object (kept loose: the fixture holds GitHub's schemas as published). */
export type OpenApiSchema = { [keyword: string]: unknown };

export interface OpenApiParameter {
  in: 'path' | 'query';
  name: string;
  required: boolean;
  schema: OpenApiSchema;
}

export interface OpenApiOperation {
  method: string;
  path: string;
  operationId: string;
  parameters: OpenApiParameter[];
  requestBody: { required: boolean; schema: OpenApiSchema } | null;
  /** By status; `schema` absent when GitHub documents the status without a JSON body. */
  responses: Record<string, { schema?: OpenApiSchema }>;
}

export interface GitHubOpenApiFixture {
  generated_by: string;
  source: { package: string; package_version: string; file: string; openapi: string; plan: string | null };
  notes: string[];
  schemas: Record<'basic-error' | 'validation-error', OpenApiSchema>;
  operations: OpenApiOperation[];
}

export interface RequestInput {
  /** Path parameters by name, already percent-decoded. Taken from the path when it is a concrete one. */
  params?: Record<string, string>;
  /** Query parameters as sent (strings). */
  query?: URLSearchParams | Record<string, string | string[] | undefined>;
  /** The parsed JSON body; `undefined` when the request has none. */
  body?: unknown;
}

let fixture: GitHubOpenApiFixture | undefined;

export function loadGitHubOpenApi(path: string = GITHUB_OPENAPI_FIXTURE): GitHubOpenApiFixture {
  if (path !== GITHUB_OPENAPI_FIXTURE) return JSON.parse(readFileSync(path, 'utf8')) as GitHubOpenApiFixture;
  fixture ??= JSON.parse(readFileSync(path, 'utf8')) as GitHubOpenApiFixture;
  return fixture;
}

// ---------------------------------------------------------------------------------------------------------
// Operations and routing

interface CompiledRoute {
  operation: OpenApiOperation;
  /** Matches a concrete, still percent-encoded pathname; the last parameter may span slashes. */
  pattern: RegExp;
  names: string[];
}

let routes: CompiledRoute[] | undefined;

function compiledRoutes(): CompiledRoute[] {
  if (routes) return routes;
  routes = loadGitHubOpenApi().operations.map((operation) => {
    const names: string[] = [];
    const segments = operation.path.split('/');
    const source = segments
      .map((segment, i) => {
        const m = /^\{(\w+)\}$/.exec(segment);
        if (!m?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(m[1]);
        // `ref`, `path` and `basehead` hold slashes (`heads/feature/x`, `terraform/live/x.tf`,
        // `main...feature/x`), sent raw or as %2F.
        return i === segments.length - 1 && ['ref', 'path', 'basehead'].includes(m[1]) ? '(.+)' : '([^/]+)';
      })
      .join('/');
    return { operation, pattern: new RegExp(`^${source}$`), names };
  });
  return routes;
}

export interface OperationMatch {
  operation: OpenApiOperation;
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
}

/**
 * The operation for a method and a path, which is either the template as GitHub documents it
 * (`/repos/{owner}/{repo}/pulls`) or a concrete pathname (`/repos/acme/infra/pulls`, percent-encoded as sent).
 */
export function findOperation(method: string, path: string): OperationMatch | undefined {
  const m = method.toLowerCase();
  for (const route of compiledRoutes()) {
    if (route.operation.method !== m) continue;
    if (route.operation.path === path) return { operation: route.operation, params: {} };
  }
  for (const route of compiledRoutes()) {
    if (route.operation.method !== m) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    let ok = true;
    route.names.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(match[i + 1] ?? '');
      } catch {
        ok = false;
      }
    });
    if (ok) return { operation: route.operation, params };
  }
  return undefined;
}

/** The operations of the fixture whose template matches the path, whatever their method. */
export function operationsForPath(path: string): OpenApiOperation[] {
  return compiledRoutes()
    .filter((r) => r.operation.path === path || r.pattern.test(path))
    .map((r) => r.operation);
}

// ---------------------------------------------------------------------------------------------------------
// OpenAPI 3.0 schema objects -> JSON Schema

/** A JSON Schema equivalent of an OpenAPI 3.0 schema object (see the module comment). */
export function toJsonSchema(schema: unknown, inProperties = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s));
  if (!schema || typeof schema !== 'object') return schema;
  const input = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (inProperties) {
      out[key] = toJsonSchema(value);
      continue;
    }
    if (key === 'nullable') continue;
    if (key === 'oneOf') out.anyOf = toJsonSchema(value);
    else out[key] = toJsonSchema(value, key === 'properties');
  }
  if (!inProperties && input.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.type)) out.type = [...out.type, 'null'];
    else return { anyOf: [{ type: 'null' }, out] };
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

const ajvs = new Map<boolean, Ajv>();

function newAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, coerceTypes });
  addFormats(ajv);
  ajv.addFormat('repo.nwo', /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/);
  return ajv;
}

const compiled = new Map<string, ValidateFunction>();

function validator(key: string, schema: OpenApiSchema, coerce = false): ValidateFunction {
  let fn = compiled.get(key);
  if (!fn) {
    let ajv = ajvs.get(coerce);
    if (!ajv) {
      ajv = newAjv(coerce);
      ajvs.set(coerce, ajv);
    }
    fn = ajv.compile(toJsonSchema(schema) as object);
    compiled.set(key, fn);
  }
  return fn;
}

/** ajv's errors in GitHub's words where GitHub has some (`"head" wasn't supplied.`). */
function describe(where: string, errors: ErrorObject[] | null | undefined): string[] {
  const out: string[] = [];
  for (const e of errors ?? []) {
    // anyOf reports every branch's errors and then itself; keep the summary short.
    const at = e.instancePath ? `${where}${e.instancePath}` : where;
    if (e.keyword === 'required') {
      out.push(`${at}: "${(e.params as { missingProperty: string }).missingProperty}" wasn't supplied.`);
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      out.push(`${at}: must be one of ${JSON.stringify(allowed)}`);
    } else {
      out.push(`${at}: ${e.message ?? e.keyword}`);
    }
  }
  return [...new Set(out)];
}

function operationName(operation: OpenApiOperation): string {
  return `${operation.method.toUpperCase()} ${operation.path}`;
}

// ---------------------------------------------------------------------------------------------------------
// Requests and responses

/** What GitHub's description says about a request: path and query parameters, and the JSON body. */
export function validateRequest(method: string, path: string, input: RequestInput = {}): string[] {
  const { refused, ignored } = validateRequestDetailed(method, path, input);
  return [...refused, ...ignored];
}

/**
 * {@link validateRequest}, split: `refused` is what GitHub answers with an error (a missing or mistyped
 * parameter or body field), `ignored` what GitHub silently ignores (an unknown query parameter).
 */
export function validateRequestDetailed(
  method: string,
  path: string,
  input: RequestInput = {},
): { refused: string[]; ignored: string[] } {
  const found = findOperation(method, path);
  if (!found)
    return {
      refused: [`${method.toUpperCase()} ${path}: not an operation the host is known to use`],
      ignored: [],
    };
  const { operation } = found;
  const name = operationName(operation);
  const problems: string[] = [];
  const ignored: string[] = [];

  const params = { ...found.params, ...input.params };
  const query = queryRecord(input.query);
  for (const p of operation.parameters) {
    const source = p.in === 'path' ? params : query;
    const raw = source[p.name];
    if (raw === undefined) {
      if (p.required) problems.push(`${name}: ${p.in} parameter "${p.name}" wasn't supplied.`);
      continue;
    }
    if (Array.isArray(raw)) {
      problems.push(`${name}: query parameter "${p.name}" given ${raw.length} times`);
      continue;
    }
    // Coercion rewrites a value in its parent object: validate the parameter inside a holder object.
    const held = { type: 'object', properties: { value: p.schema }, required: ['value'] };
    const fn = validator(`${name} ${p.in} ${p.name}`, held, true);
    if (!fn({ value: raw })) {
      const errors = fn.errors?.map((e) => ({ ...e, instancePath: e.instancePath.replace(/^\/value/, '') }));
      problems.push(...describe(`${name} ${p.in} parameter "${p.name}"`, errors));
    }
  }
  for (const key of Object.keys(query)) {
    if (!operation.parameters.some((p) => p.in === 'query' && p.name === key)) {
      ignored.push(`${name}: unknown query parameter "${key}" (GitHub ignores it)`);
    }
  }
  for (const key of Object.keys(input.params ?? {})) {
    if (!operation.parameters.some((p) => p.in === 'path' && p.name === key)) {
      problems.push(`${name}: unknown path parameter "${key}"`);
    }
  }

  if (operation.requestBody) {
    if (input.body === undefined) {
      if (operation.requestBody.required) problems.push(`${name}: a JSON request body is required`);
    } else {
      const fn = validator(`${name} request`, operation.requestBody.schema);
      if (!fn(input.body)) problems.push(...describe(`${name} request body`, fn.errors));
    }
  } else if (input.body !== undefined) {
    problems.push(`${name}: takes no request body`);
  }
  return { refused: problems, ignored };
}

/**
 * What GitHub's description says about a response: the status must be one GitHub documents for the operation,
 * and a JSON body must match the schema documented for that status.
 */
export function validateResponse(method: string, path: string, status: number, body: unknown): string[] {
  const found = findOperation(method, path);
  if (!found) return [`${method.toUpperCase()} ${path}: not an operation the host is known to use`];
  const { operation } = found;
  const name = operationName(operation);
  const documented = operation.responses[String(status)];
  if (!documented) {
    return [
      `${name}: status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`,
    ];
  }
  if (!documented.schema) return [];
  const fn = validator(`${name} ${status}`, documented.schema);
  return fn(body) ? [] : describe(`${name} ${status} response body`, fn.errors);
}

/**
 * Error bodies GitHub may send from any endpoint, whatever the operation documents: 401 (bad credentials),
 * 403/429 (rate limits), 5xx. They are "Basic Error" objects.
 */
export function validateErrorBody(body: unknown): string[] {
  const fn = validator('basic-error', loadGitHubOpenApi().schemas['basic-error']);
  return fn(body) ? [] : describe('error body', fn.errors);
}

/** The shape of GitHub's 422 bodies ("Validation Error"). */
export function validateValidationError(body: unknown): string[] {
  const fn = validator('validation-error', loadGitHubOpenApi().schemas['validation-error']);
  return fn(body) ? [] : describe('validation error body', fn.errors);
}

function queryRecord(query: RequestInput['query']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!query) return out;
  if (query instanceof URLSearchParams) {
    for (const key of new Set(query.keys())) {
      const all = query.getAll(key);
      out[key] = all.length === 1 ? (all[0] as string) : all;
    }
    return out;
  }
  for (const [key, value] of Object.entries(query)) if (value !== undefined) out[key] = value;
  return out;
}
