import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Principal } from '../../domain/access.js';
import type { Authentication, Authenticator, AuthRequest } from '../../ports.js';

export type ApiGatewayAuthMode = 'iam' | 'api_key';

/** The pipeline's principal: who may report back (POST /reports/*), and may do nothing else. */
export interface PipelinePrincipal {
  /** AWS_IAM: the IAM roles CI reports with (any session of each is the pipeline), or IAM users. */
  arns?: readonly string[] | undefined;
  /** API keys: the id of the pipeline's own key. */
  apiKeyId?: string | undefined;
}

/**
 * The caller API Gateway has already authenticated, read from the event's request context: with
 * AWS_IAM the IAM principal that signed the request, with API keys the key's id. API Gateway refuses
 * unauthenticated calls before they reach the function; a request without the expected identity (a
 * route or stage deployed without auth) is refused here too rather than served anonymously.
 */
function callerOf(request: AuthRequest, mode: ApiGatewayAuthMode): string | null {
  const identity = (request.env as { event?: Partial<APIGatewayProxyEvent> } | undefined)?.event
    ?.requestContext?.identity;
  if (!identity) return null;
  if (mode === 'iam') return identity.userArn || null;
  return identity.apiKeyId ? apiKeyIdentity(identity.apiKeyId) : null;
}

const apiKeyIdentity = (id: string) => `api-key:${id}`;
const viaOf = (mode: ApiGatewayAuthMode) => (mode === 'iam' ? ('iam' as const) : ('api_key' as const));

const ROLE = /^arn:([a-z-]+):iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;
const ROLE_SESSION = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * Whether a caller is the configured principal: that principal itself (a user), or a session of that
 * role. A session's ARN names the role without its path (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`
 * for `arn:aws:iam::ACCOUNT:role/path/NAME`), so partition, account and name are compared.
 */
function isPrincipal(caller: string, configured: string): boolean {
  if (caller === configured) return true;
  const role = ROLE.exec(configured);
  const session = ROLE_SESSION.exec(caller);
  return (
    role !== null &&
    session !== null &&
    role[1] === session[1] &&
    role[2] === session[2] &&
    role[3] === session[3]
  );
}

/** Whether the caller is the pipeline; never when no pipeline is configured for the mode. */
function isPipeline(caller: string, mode: ApiGatewayAuthMode, pipeline: PipelinePrincipal): boolean {
  if (mode === 'iam') return (pipeline.arns ?? []).some((arn) => isPrincipal(caller, arn));
  return pipeline.apiKeyId !== undefined && caller === apiKeyIdentity(pipeline.apiKeyId);
}

/**
 * Any caller API Gateway authenticated: the pipeline's principal as the `pipeline` role (it reaches the
 * reports and nothing else), every other caller as a person.
 */
export class ApiGatewayAuthenticator implements Authenticator {
  constructor(
    private readonly mode: ApiGatewayAuthMode,
    private readonly pipeline: PipelinePrincipal = {},
  ) {}

  async authenticate(request: AuthRequest): Promise<Authentication> {
    const caller = callerOf(request, this.mode);
    if (caller === null) return { ok: false, reason: 'API Gateway named no caller for this call' };
    const via = viaOf(this.mode);
    if (isPipeline(caller, this.mode, this.pipeline))
      return { ok: true, principal: { id: caller, role: 'pipeline', environments: null, via } };
    // Issue 15 maps the caller to a role by the policy (mappedPrincipal); until then every caller is admin.
    const principal: Principal = { id: caller, role: 'admin', environments: null, via };
    return { ok: true, principal };
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
