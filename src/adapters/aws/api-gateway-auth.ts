import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mappedPrincipal } from '../../domain/access.js';
import { isPrincipal } from '../../domain/iam-principal.js';
import type { Policy } from '../../domain/policy.js';
import { type Authentication, type Authenticator, type AuthRequest, withoutRole } from '../../ports.js';

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

/** Whether the caller is the pipeline; never when no pipeline is configured for the mode. */
function isPipeline(caller: string, mode: ApiGatewayAuthMode, pipeline: PipelinePrincipal): boolean {
  if (mode === 'iam') return (pipeline.arns ?? []).some((arn) => isPrincipal(caller, arn));
  return pipeline.apiKeyId !== undefined && caller === apiKeyIdentity(pipeline.apiKeyId);
}

export interface ApiGatewayAuthOptions {
  mode: ApiGatewayAuthMode;
  /** Its `access` block maps every caller but the pipeline to a role. */
  policy: Policy;
  pipeline?: PipelinePrincipal;
}

/**
 * Any caller API Gateway authenticated: the pipeline's principal as the `pipeline` role (it reaches the
 * reports and nothing else), every other caller as the policy maps it (`access.principals`, else
 * `access.default_role`); one it gives no role is refused as forbidden (403 on every route).
 */
export class ApiGatewayAuthenticator implements Authenticator {
  constructor(private readonly options: ApiGatewayAuthOptions) {}

  async authenticate(request: AuthRequest): Promise<Authentication> {
    const { mode, policy, pipeline = {} } = this.options;
    const caller = callerOf(request, mode);
    if (caller === null) return { ok: false, reason: 'API Gateway named no caller for this call' };
    const via = viaOf(mode);
    if (isPipeline(caller, mode, pipeline))
      return { ok: true, principal: { id: caller, role: 'pipeline', environments: null, via } };
    const principal = mappedPrincipal(caller, via, policy);
    return principal ? { ok: true, principal } : withoutRole(caller);
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
