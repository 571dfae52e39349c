import type { Delivery, Queue } from '../ports.js';
import type { AppContext } from './context.js';
import { type ProcessOutcome, processRequest } from './process-request.js';

/** How a delivery was settled: the worker's outcome, or dead-lettered once retries ran out. */
export type Settlement = ProcessOutcome | { kind: 'dead_letter'; error: string };

export interface RetryPolicy {
  /** Deliveries before a message is dead-lettered and its request failed. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 60_000 };

/** Exponential backoff with full jitter; a host's own retry-after wins when it is longer. */
export function backoffMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs = 0,
  random = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(retryAfterMs, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

/**
 * Processes one leased message and settles it on the queue: acknowledged when done or failed for good,
 * back to the queue with backoff on a transient error, dead-lettered (request failed) past the limit.
 */
export async function settleDelivery(
  ctx: AppContext,
  queue: Pick<Queue, 'ack' | 'retry' | 'deadLetter'>,
  retry: RetryPolicy,
  delivery: Delivery,
): Promise<Settlement> {
  const { requestId, attempt, receipt } = delivery;
  const outcome = await processRequest(ctx, requestId, attempt);
  if (outcome.kind !== 'retry') {
    await queue.ack(receipt);
    return outcome;
  }
  if (attempt >= retry.maxAttempts) {
    const reason = `gave up after ${attempt} attempts; last error: ${outcome.error}`;
    // Only the step this delivery worked on: a merge may have moved the request on meanwhile.
    await ctx.store.transition(requestId, 'failed', {
      at: ctx.clock.now(),
      step: outcome.step,
      failureReason: reason,
      detail: reason,
    });
    await queue.deadLetter(receipt, outcome.error);
    ctx.logger.error('request dead-lettered', { request_id: requestId, attempt, error: outcome.error });
    return { kind: 'dead_letter', error: outcome.error };
  }
  const delayMs = backoffMs(retry, attempt, outcome.retryAfterMs);
  await ctx.store.note(
    requestId,
    ctx.clock.now(),
    `attempt ${attempt} failed, retrying in ${Math.ceil(delayMs / 1000)} s: ${outcome.error}`,
  );
  await queue.retry(receipt, delayMs, outcome.error);
  return outcome;
}
