import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Queue } from '../../ports.js';
import { hideFor, requestIdOf, sendToDeadLetter } from './sqs-queue.js';

/**
 * The Queue port for the records of one SQS batch the Lambda service delivered. The service deletes
 * the records the handler reports as done, so `ack` has nothing to do; `retry` sets the record's
 * visibility to the backoff and the handler then reports it failed; `deadLetter` sends it to the DLQ
 * with the reason, and the service deletes it from the queue.
 */
export class LambdaBatchQueue implements Pick<Queue, 'ack' | 'retry' | 'deadLetter'> {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly deadLetterQueueUrl: string,
    /** Each record of the batch, by receipt handle: its body and its delivery count. */
    private readonly records: ReadonlyMap<string, { body: string; attempt: number }>,
  ) {}

  async ack(): Promise<void> {}

  async retry(receipt: string, delayMs: number): Promise<void> {
    await hideFor(this.sqs, this.queueUrl, receipt, delayMs);
  }

  async deadLetter(receipt: string, error: string): Promise<void> {
    const record = this.records.get(receipt);
    if (!record) throw new Error('deadLetter: not a record of this batch');
    await sendToDeadLetter(this.sqs, this.deadLetterQueueUrl, {
      body: record.body,
      error,
      attempt: record.attempt,
      requestId: requestIdOf(record.body),
    });
  }
}
