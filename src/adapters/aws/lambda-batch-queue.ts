import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Queue } from '../../ports.js';
import { visibilitySeconds } from './sqs-queue.js';

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
    /** The body of each record of the batch, by receipt handle. */
    private readonly bodies: ReadonlyMap<string, string>,
  ) {}

  async ack(): Promise<void> {}

  async retry(receipt: string, delayMs: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receipt,
        VisibilityTimeout: visibilitySeconds(delayMs),
      }),
    );
  }

  async deadLetter(receipt: string, error: string): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.deadLetterQueueUrl,
        MessageBody: this.bodies.get(receipt) ?? '',
        MessageAttributes: { error: { DataType: 'String', StringValue: error.slice(0, 1024) } },
      }),
    );
  }
}
