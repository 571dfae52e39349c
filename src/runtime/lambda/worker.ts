import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lazyHandler } from './lazy-handler.js';

export { TIME_RESERVE_MS } from './worker-budget.js';

/** The worker function's entry (Handler worker.handler): ./worker-handler.ts, loaded on the first batch. */
export const handler = lazyHandler<SQSEvent, Context, SQSBatchResponse>(() => import('./worker-handler.js'));
