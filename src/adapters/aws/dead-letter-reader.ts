import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { requestIdOf, visibilitySeconds } from './sqs-queue.js';

export interface DeadLetter {
  requestId: string;
  messageId: string;
}

/**
 * Reads the dead-letter queue without consuming it: the messages stay there (for the depth alarm and
 * for an operator), hidden for `visibilityMs` so that the next read brings others. Messages that name
 * no request are skipped.
 */
export class DeadLetterReader {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async read(visibilityMs: number): Promise<DeadLetter[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: visibilitySeconds(visibilityMs),
      }),
    );
    return (out.Messages ?? []).flatMap((message) => {
      const requestId = message.Body === undefined ? null : requestIdOf(message.Body);
      return requestId ? [{ requestId, messageId: message.MessageId ?? '' }] : [];
    });
  }
}
