import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LambdaBatchQueue } from '../../adapters/aws/lambda-batch-queue.js';
import { requestIdOf } from '../../adapters/aws/sqs-queue.js';
import { DEFAULT_RETRY, settleDelivery } from '../../app/settle-delivery.js';
import { required } from './config.js';
import { count, logger, metrics, powertoolsLogger } from './observability.js';
import { services } from './services.js';
import { TIME_RESERVE_MS } from './worker-budget.js';

/** The delivery this is, counting every receive, as SQS counts it. */
const attemptOf = (record: SQSRecord) => Number(record.attributes.ApproximateReceiveCount) || 1;

/** Thrown for a record to go back to the queue: its visibility is already set to the backoff. */
class RetryLater extends Error {}

const processor = new BatchProcessor(EventType.SQS);

/**
 * The worker: each SQS record settled one after another (GitHub's mutations are serial), the ones to
 * retry reported as batch item failures so the rest of the batch is deleted.
 */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  powertoolsLogger.addContext(context);
  try {
    const { config, ctx, sqs } = await services();
    const queue = new LambdaBatchQueue(
      sqs,
      required(config, 'QUEUE_URL'),
      required(config, 'DEAD_LETTER_QUEUE_URL'),
      new Map(
        event.Records.map((record) => [
          record.receiptHandle,
          { body: record.body, attempt: attemptOf(record) },
        ]),
      ),
    );
    const retry = { ...DEFAULT_RETRY, maxAttempts: config.MAX_RECEIVE_COUNT };

    const settle = async (record: SQSRecord) => {
      if (context.getRemainingTimeInMillis() < TIME_RESERVE_MS) {
        await queue.retry(record.receiptHandle, 0);
        throw new RetryLater('not started: the invocation is almost out of time');
      }
      const requestId = requestIdOf(record.body);
      if (!requestId) {
        // Nothing any retry could fix: straight to the dead-letter queue, kept there for inspection.
        logger.error('malformed message sent to the dead-letter queue', { message_id: record.messageId });
        await queue.deadLetter(record.receiptHandle, 'malformed message: no request_id');
        return;
      }
      const settled = await settleDelivery(ctx, queue, retry, {
        requestId,
        attempt: attemptOf(record),
        receipt: record.receiptHandle,
      });
      if (settled.kind === 'done' && settled.opened) count('pr_opened');
      if (settled.kind === 'failed' || settled.kind === 'dead_letter') count('failed');
      if (settled.kind === 'retry') throw new RetryLater(settled.error);
    };

    return await processPartialResponse(event, settle, processor, {
      context,
      processInParallel: false,
      // A batch that fails whole (GitHub down) is reported record by record, not as a function error.
      throwOnFullBatchFailure: false,
    });
  } finally {
    metrics.publishStoredMetrics();
  }
}
