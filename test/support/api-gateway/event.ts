/**
 * The REST API (v1) Lambda proxy event the test gateway sends: test/support/lambda-events.ts's
 * apiGatewayEvent, with what this request really carried (headers as received, every value of a repeated
 * header or query parameter, the stage, the template's resource path and its path parameters, and the
 * identity the gateway authenticated).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiGatewayEvent } from '../lambda-events.js';

export interface EventInput {
  method: string;
  /** The path after the stage, decoded as API Gateway passes it: /databases/orders. */
  path: string;
  stage: string;
  resourcePath: string;
  pathParameters: Record<string, string> | null;
  /** Header names lower case, each with every value received. */
  headers: Record<string, string[]>;
  query: URLSearchParams;
  body: string | null;
  identity: { userArn?: string; accessKey?: string; apiKeyId?: string; apiKey?: string };
}

const ACCOUNT_OF_ARN = /^arn:[a-z-]+:(?:iam|sts)::(\d{12}):/;

export function proxyEvent(input: EventInput): APIGatewayProxyEvent {
  const host = input.headers.host?.[0] ?? 'localhost';
  const event = apiGatewayEvent({
    method: input.method,
    path: input.path,
    userArn: input.identity.userArn ?? null,
  });
  const single = (values: Record<string, string[]>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v[v.length - 1] as string]));
  const queryValues: Record<string, string[]> = Object.fromEntries(
    [...new Set(input.query.keys())].map((key) => [key, input.query.getAll(key)]),
  );
  const hasQuery = Object.keys(queryValues).length > 0;
  return {
    ...event,
    resource: input.resourcePath,
    headers: single(input.headers),
    multiValueHeaders: input.headers,
    queryStringParameters: hasQuery ? single(queryValues) : null,
    multiValueQueryStringParameters: hasQuery ? queryValues : null,
    pathParameters: input.pathParameters,
    body: input.body,
    isBase64Encoded: false,
    requestContext: {
      ...event.requestContext,
      domainName: host,
      domainPrefix: host.split('.')[0] as string,
      path: `/${input.stage}${input.path}`,
      resourcePath: input.resourcePath,
      stage: input.stage,
      identity: {
        ...event.requestContext.identity,
        accessKey: input.identity.accessKey ?? null,
        accountId: ACCOUNT_OF_ARN.exec(input.identity.userArn ?? '')?.[1] ?? null,
        caller: input.identity.accessKey ?? null,
        apiKey: input.identity.apiKey ?? null,
        apiKeyId: input.identity.apiKeyId ?? null,
        userArn: input.identity.userArn ?? null,
        user: input.identity.accessKey ?? null,
        userAgent: input.headers['user-agent']?.[0] ?? null,
      },
    },
  };
}
