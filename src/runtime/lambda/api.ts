import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import {
  API_GATEWAY_SECURITY_SCHEMES,
  ApiGatewayAuthenticator,
  apiGatewayPublicBase,
} from '../../adapters/aws/api-gateway-auth.js';
import { createApp } from '../../app/http/app.js';
import { count, logger, metrics, powertoolsLogger } from './observability.js';
import { services } from './services.js';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

let app: Promise<Handler> | undefined;

/** The HTTP API behind API Gateway: the same Hono app as the local runtime. */
export const handler: Handler = async (event, context) => {
  powertoolsLogger.addContext(context);
  try {
    app ??= build().catch((error: unknown) => {
      app = undefined;
      throw error;
    });
    return await (await app)(event, context);
  } catch (error) {
    // Start-up failed (configuration, a secret): a clear 503, the details in the log only.
    logger.error('API not available', { error: error instanceof Error ? error.message : String(error) });
    return {
      statusCode: 503,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'unavailable', message: 'the service could not start; try again' }),
    };
  } finally {
    metrics.publishStoredMetrics();
  }
};

async function build(): Promise<Handler> {
  const { config, ctx, secrets } = await services();
  const webhookSecret = await secrets.get(config.GITHUB_WEBHOOK_SECRET_NAME);
  const api = createApp({
    ctx,
    auth: new ApiGatewayAuthenticator(config.AUTH_MODE),
    securityScheme: API_GATEWAY_SECURITY_SCHEMES[config.AUTH_MODE],
    webhookSecret,
    onAccepted: () => count('accepted'),
    publicBase: (c) =>
      apiGatewayPublicBase((c.env as { event?: APIGatewayProxyEvent }).event) ?? new URL(c.req.url).origin,
  });
  return handle(api) as unknown as Handler;
}
