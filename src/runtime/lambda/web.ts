import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lazyHandler } from './lazy-handler.js';

/** The web function's entry (Handler web.handler): the page of ./web-handler.ts, loaded on the first event. */
export const handler = lazyHandler<APIGatewayProxyEvent, Context, APIGatewayProxyResult>(
  () => import('./web-handler.js'),
);
