/**
 * How GitHub words its answers, for every resource module of the simulator: the answer an endpoint gives,
 * GitHub's error bodies, node ids, dates to the second, and base64 content wrapped as GitHub wraps it.
 */

/** An answer from an endpoint. `anywhere`: a status GitHub may send from any endpoint (checked as Basic Error). */
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  anywhere?: boolean;
}

/** What an endpoint sees of a request: path parameters (decoded), query, JSON body, and its log record. */
export interface EndpointContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** `branch`: the branch the request reads or changes, for the per-branch counters. */
  record: { n: number; branch?: string };
}

/** Endpoints by GitHub's operationId (`repos/delete-file`). */
export type Endpoints = Record<string, (ctx: EndpointContext) => Answer>;

export const DOCS = 'https://docs.github.com/rest';

export const notFound = (docs = DOCS): Answer => ({
  status: 404,
  body: { message: 'Not Found', documentation_url: docs, status: '404' },
  anywhere: true,
});

export const validationFailed = (errors: Record<string, unknown>[], docs: string): Answer => ({
  status: 422,
  body: { message: 'Validation Failed', errors, documentation_url: docs, status: '422' },
});

export const message = (status: number, text: string, docs: string): Answer => ({
  status,
  body: { message: text, documentation_url: docs, status: String(status) },
});

export const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const nodeId = (kind: string, id: number | string) => Buffer.from(`${kind}${id}`).toString('base64');

/** Content as GitHub sends it: base64 in lines of 60 characters, each ending in a newline. */
export function base64Lines(bytes: Buffer): string {
  const lines = bytes.toString('base64').match(/.{1,60}/g) ?? [];
  return lines.length ? `${lines.join('\n')}\n` : '';
}
