/**
 * A local stand-in for API Gateway's REST API in front of the stack's Lambda functions, following
 * template.yaml: the routes (path, method, AuthorizationType, ApiKeyRequired, integrated function) are
 * read from the template's RestApi for the given AuthMode; AWS_IAM routes verify SigV4 with an
 * independent signer (./api-gateway/sigv4.ts); API key routes check x-api-key; every refusal is API
 * Gateway's documented answer (./api-gateway/answers.ts). A call that passes reaches the function as
 * the REST (v1) proxy event API Gateway sends (./api-gateway/event.ts), and its result is sent back.
 *
 *   const gateway = await startGateway({ authMode: 'iam', region: 'us-east-1', principals: [ALICE],
 *     functions: { ApiFunction: apiHandler } });
 *   fetch(`${gateway.url}/requests`, ...)   // url: http://127.0.0.1:PORT/Prod
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  FORBIDDEN,
  type GatewayAnswer,
  INTERNAL_SERVER_ERROR,
  MISSING_AUTHENTICATION_TOKEN,
  REQUEST_TOO_LONG,
} from './api-gateway/answers.js';
import { proxyEvent } from './api-gateway/event.js';
import { matchRoute, type Route, readRoutes } from './api-gateway/routes.js';
import { type GatewayPrincipal, verifySignature } from './api-gateway/sigv4.js';
import { lambdaContext } from './lambda-events.js';

export type { Route } from './api-gateway/routes.js';
export type { GatewayPrincipal } from './api-gateway/sigv4.js';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface GatewayOptions {
  /** The stack's AuthMode parameter: which authorization the methods get. */
  authMode: 'iam' | 'api_key';
  /** The region API Gateway runs in: a signature must be scoped to it. */
  region: string;
  /** The stage, the first path segment (template default Prod). */
  stage?: string;
  /** IAM principals the account knows (AWS_IAM routes). */
  principals?: GatewayPrincipal[];
  /** API keys the stage's usage plan holds (ApiKeyRequired routes). */
  apiKeys?: Array<{ id: string; value: string }>;
  /** The functions the integrations call, by logical id: { ApiFunction: handler }; a route to one not given answers 502. */
  functions: Record<string, ProxyHandler>;
  /** Other template parameters the routes depend on. */
  parameters?: Record<string, string>;
  /** The gateway's clock (signatures must be within five minutes of it). */
  clock?: () => Date;
}

/** One call that reached a function. */
export interface Invocation {
  functionId: string;
  method: string;
  resourcePath: string;
  userArn: string | null;
  apiKeyId: string | null;
}

export interface Gateway {
  /** http://127.0.0.1:PORT/STAGE, the API's base URL as clients use it. */
  url: string;
  routes: Route[];
  /** Calls that got past the gateway, in order. */
  invocations: Invocation[];
  close(): Promise<void>;
}

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const stage = options.stage ?? 'Prod';
  const routes = readRoutes(
    { ...options.parameters, AuthMode: options.authMode, StageName: stage },
    options.region,
  );
  const invocations: Invocation[] = [];
  const server = createServer((req, res) => {
    handle(req, res, { ...options, stage }, routes, invocations).catch(() =>
      send(res, INTERNAL_SERVER_ERROR),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${stage}`,
    routes,
    invocations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: GatewayOptions & { stage: string },
  routes: Route[],
  invocations: Invocation[],
): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) return send(res, REQUEST_TOO_LONG);
  const url = new URL(req.url ?? '/', 'http://gateway');
  const [, stage, ...rest] = url.pathname.split('/');
  const path = `/${rest.join('/')}`;
  const method = req.method ?? 'GET';
  let found: ReturnType<typeof matchRoute>;
  try {
    found = stage === options.stage ? matchRoute(routes, method, path) : undefined;
  } catch {
    found = undefined; // a path that does not decode matches nothing
  }
  if (!found) return send(res, MISSING_AUTHENTICATION_TOKEN);
  const { route, pathParameters } = found;
  const headers = receivedHeaders(req);
  const last = (name: string) => headers[name]?.[headers[name].length - 1];

  const identity: { userArn?: string; accessKey?: string; apiKeyId?: string; apiKey?: string } = {};
  if (route.authorizationType === 'AWS_IAM') {
    const verdict = await verifySignature(
      {
        method,
        rawPath: url.pathname,
        query: url.searchParams,
        headers: Object.fromEntries(
          Object.keys(headers).map((name) => [name, headers[name]?.join(',') as string]),
        ),
        body,
      },
      options.principals ?? [],
      options.region,
      options.clock?.() ?? new Date(),
    );
    if ('refused' in verdict) return send(res, verdict.refused);
    identity.userArn = verdict.principal.arn;
    identity.accessKey = verdict.principal.accessKeyId;
  }
  if (route.apiKeyRequired) {
    const given = last('x-api-key');
    const key = (options.apiKeys ?? []).find((k) => k.value === given);
    if (!key) return send(res, FORBIDDEN);
    identity.apiKeyId = key.id;
    identity.apiKey = key.value;
  }

  const handler = Object.hasOwn(options.functions, route.functionId)
    ? options.functions[route.functionId]
    : undefined;
  if (!handler) return send(res, INTERNAL_SERVER_ERROR);
  invocations.push({
    functionId: route.functionId,
    method,
    resourcePath: route.resourcePath,
    userArn: identity.userArn ?? null,
    apiKeyId: identity.apiKeyId ?? null,
  });
  const event = proxyEvent({
    method,
    path: decodeURIComponent(path),
    stage: options.stage,
    resourcePath: route.resourcePath,
    pathParameters,
    headers,
    query: url.searchParams,
    body: body.length > 0 ? body.toString('utf8') : null,
    identity,
  });
  let result: APIGatewayProxyResult;
  try {
    result = await handler(event, lambdaContext(route.functionId));
  } catch {
    return send(res, INTERNAL_SERVER_ERROR);
  }
  if (!result || typeof result.statusCode !== 'number') return send(res, INTERNAL_SERVER_ERROR);
  const out = new Headers();
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    for (const value of values) out.append(name, String(value));
  for (const [name, value] of Object.entries(result.headers ?? {})) out.set(name, String(value));
  res.writeHead(result.statusCode, Object.fromEntries(out));
  res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
}

/** The body, or undefined when it is over API Gateway's limit. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Header names lower case, each with every value received in order. */
function receivedHeaders(req: IncomingMessage): Record<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), req.rawHeaders[i + 1] as string]);
  }
  return Object.fromEntries(headers);
}

function send(res: ServerResponse, answer: GatewayAnswer): void {
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'x-amzn-errortype': answer.errorType,
    'x-amzn-requestid': crypto.randomUUID(),
  });
  res.end(JSON.stringify({ message: answer.message }));
}
