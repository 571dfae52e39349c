import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Authenticator, AuthRequest } from '../../ports.js';

export type ApiGatewayAuthMode = 'iam' | 'api_key';

/**
 * The caller API Gateway has already authenticated, read from the event's request context: with
 * AWS_IAM the IAM principal that signed the request, with API keys the key's id. API Gateway refuses
 * unauthenticated calls before they reach the function; a request without the expected identity (a
 * route or stage deployed without auth) is refused here too rather than served anonymously.
 */
export class ApiGatewayAuthenticator implements Authenticator {
  constructor(private readonly mode: ApiGatewayAuthMode) {}

  async authenticate(request: AuthRequest): Promise<string | null> {
    const identity = (request.env as { event?: Partial<APIGatewayProxyEvent> } | undefined)?.event
      ?.requestContext?.identity;
    if (!identity) return null;
    if (this.mode === 'iam') return identity.userArn || null;
    return identity.apiKeyId ? `api-key:${identity.apiKeyId}` : null;
  }
}

/** The scheme /openapi.json names for each mode: SigV4-signed requests, or API Gateway's x-api-key header. */
export const API_GATEWAY_SECURITY_SCHEMES = {
  iam: {
    type: 'apiKey',
    name: 'Authorization',
    in: 'header',
    description: 'AWS Signature Version 4 (API Gateway AWS_IAM authorization)',
    'x-amazon-apigateway-authtype': 'awsSigv4',
  },
  api_key: { type: 'apiKey', name: 'x-api-key', in: 'header', description: 'An API Gateway API key' },
} as const;

/**
 * The API's public root for an API Gateway REST event: the host plus whatever comes before the route
 * (the stage, or a custom domain's base path).
 */
export function apiGatewayPublicBase(event: Partial<APIGatewayProxyEvent> | undefined): string | undefined {
  const context = event?.requestContext;
  const routePath = event?.path;
  if (!context?.domainName || !context.path || routePath === undefined) return undefined;
  const prefix = context.path.endsWith(routePath)
    ? context.path.slice(0, context.path.length - routePath.length)
    : '';
  return `https://${context.domainName}${prefix}`;
}
