import { isTerminal } from '../domain/status.js';
import type { AppContext } from './context.js';

/**
 * A message reached the dead-letter queue without the worker settling it (it crashed or timed out on
 * its last delivery): its request is failed, so the requester sees why instead of a request stuck in
 * processing. Idempotent: a request already terminal is left as it is.
 */
export async function failDeadLettered(
  ctx: AppContext,
  requestId: string,
  deliveries: number,
): Promise<'failed' | 'unchanged' | 'missing'> {
  const record = await ctx.store.get(requestId);
  if (!record) return 'missing';
  if (isTerminal(record.status)) return 'unchanged';
  const reason = `gave up after ${deliveries} deliveries: the worker did not finish (the message is in the dead-letter queue)`;
  const moved = await ctx.store.transition(requestId, 'failed', {
    at: ctx.clock.now(),
    failureReason: reason,
    detail: reason,
  });
  if (!moved?.changed) return 'unchanged';
  ctx.logger.error('request failed from the dead-letter queue', { request_id: requestId, deliveries });
  return 'failed';
}
