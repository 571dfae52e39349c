import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lazyHandler } from './lazy-handler.js';

/** The API function's entry (Handler api.handler): the HTTP API of ./api-handler.ts, loaded on the first event. */
export const handler = lazyHandler<APIGatewayProxyEvent, Context, APIGatewayProxyResult>(
  () => import('./api-handler.js'),
);
