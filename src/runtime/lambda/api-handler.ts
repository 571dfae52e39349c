import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import {
  API_GATEWAY_SECURITY_SCHEMES,
  ApiGatewayAuthenticator,
  apiGatewayPublicBase,
} from '../../adapters/aws/api-gateway-auth.js';
import { createApp } from '../../app/http/app.js';
import { maxBodyBytes, payloadTooLarge } from '../../app/http/body-limits.js';
import { pipelinePrincipal } from './config.js';
import { count, logger, metrics, powertoolsLogger } from './observability.js';
import { type LambdaServices, services } from './services.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** One app per container's services (a test's new "container" gets a new one). */
const apps = new WeakMap<LambdaServices, Handler>();

/** The HTTP API behind API Gateway: the same Hono app as the local runtime. */
export const handler: Handler = async (event, context) => {
  powertoolsLogger.addContext(context);
  try {
    // API Gateway lets up to 10 MB through: a body over its route's limit is refused before anything is built.
    const maxBytes = maxBodyBytes(event.path);
    if (bodyBytes(event) > maxBytes) return jsonAnswer(413, payloadTooLarge(maxBytes));
    const built = await services();
    let app = apps.get(built);
    if (!app) {
      app = build(built);
      apps.set(built, app);
    }
    return await app(event, context);
  } catch (error) {
    // Start-up failed (configuration): a clear 503, the details in the log only.
    logger.error('API not available', { error: error instanceof Error ? error.message : String(error) });
    return jsonAnswer(503, { error: 'unavailable', message: 'the service could not start; try again' });
  } finally {
    metrics.publishStoredMetrics();
  }
};

/** The body's size in bytes as the app would read it: base64 counts decoded. */
function bodyBytes({ body, isBase64Encoded }: APIGatewayProxyEvent): number {
  if (!body) return 0;
  return isBase64Encoded ? Buffer.byteLength(body, 'base64') : Buffer.byteLength(body, 'utf8');
}

const jsonAnswer = (statusCode: number, body: object): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

function build({ config, ctx, secrets }: LambdaServices): Handler {
  const pipeline = pipelinePrincipal(config);
  const api = createApp({
    ctx,
    auth: new ApiGatewayAuthenticator({ mode: config.AUTH_MODE, policy: ctx.policy.policy, pipeline }),
    securityScheme: API_GATEWAY_SECURITY_SCHEMES[config.AUTH_MODE],
    credential: config.AUTH_MODE,
    // Read when a delivery arrives (then cached): the other routes neither wait for nor fail on it.
    webhook: {
      repository: config.GITHUB_REPOSITORY,
      secret: () => secrets.get(config.GITHUB_WEBHOOK_SECRET_NAME),
    },
    onAccepted: () => count('accepted'),
    publicBase: (c) =>
      apiGatewayPublicBase((c.env as { event?: APIGatewayProxyEvent }).event) ?? new URL(c.req.url).origin,
  });
  return handle(api) as unknown as Handler;
}
