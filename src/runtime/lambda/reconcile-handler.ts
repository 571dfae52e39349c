import type { Context } from 'aws-lambda';
import { DeadLetterReader } from '../../adapters/aws/dead-letter-reader.js';
import { failDeadLettered } from '../../app/fail-dead-lettered.js';
import { required } from './config.js';
import { count, logger, metrics, powertoolsLogger } from './observability.js';
import { services } from './services.js';

/** A request still queued and unpublished this long after it was written lost its publish. */
const UNPUBLISHED_AFTER_MS = 2 * 60_000;
/** Requests republished per run; the rest wait for the next. */
const REPUBLISH_LIMIT = 100;
/** Dead-letter messages read per run (ten per receive). */
const DEAD_LETTER_PAGES = 10;

export interface ReconcileResult {
  republished: number;
  failed: number;
}

/**
 * Runs on a schedule and closes the two gaps no single function can: a request the API recorded but
 * could not publish (it died in between) is published again, and a message that reached the
 * dead-letter queue without the worker settling it fails its request. The messages stay in the
 * dead-letter queue, for its alarm and for inspection.
 */
export async function handler(_event: unknown, context: Context): Promise<ReconcileResult> {
  powertoolsLogger.addContext(context);
  try {
    const { config, ctx, intake, sqs } = await services();
    const olderThan = new Date(ctx.clock.now().getTime() - UNPUBLISHED_AFTER_MS);
    const republished = await intake.republishUnpublished(olderThan, REPUBLISH_LIMIT);

    const deadLetters = new DeadLetterReader(sqs, required(config, 'DEAD_LETTER_QUEUE_URL'));
    let failed = 0;
    for (let page = 0; page < DEAD_LETTER_PAGES; page++) {
      // Hidden until the next run, so each page brings other messages.
      const letters = await deadLetters.read(5 * 60_000);
      if (letters.length === 0) break;
      for (const letter of letters) {
        const outcome = await failDeadLettered(ctx, letter.requestId, config.MAX_RECEIVE_COUNT);
        if (outcome === 'failed') {
          failed++;
          count('failed');
        }
      }
    }
    logger.info('reconciled', { republished, failed });
    return { republished, failed };
  } finally {
    metrics.publishStoredMetrics();
  }
}
