import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Delivery, Queue } from '../../ports.js';
import { type AwsClientOptions, awsErrorName, sqsClient } from './clients.js';

/** SQS's longest visibility timeout, 12 hours, in seconds. */
export const MAX_VISIBILITY_SECONDS = 43_200;
/** SQS returns at most 10 messages per receive. */
const MAX_BATCH = 10;
/** Room for an error in a message attribute; the whole message must stay under SQS's 256 KiB. */
const MAX_ERROR_CHARS = 4_000;

/**
 * The request id in a queue message's body: `{"request_id":"<id>"}` as the intake publishes it (raw
 * delivery), also inside an SNS envelope should the subscription lose raw delivery. Null for anything else.
 */
export function requestIdOf(body: string): string | null {
  return idIn(body, true);
}

function idIn(body: string, envelopeAllowed: boolean): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const fields = parsed as Record<string, unknown>;
  if (typeof fields.request_id === 'string') return fields.request_id === '' ? null : fields.request_id;
  if (envelopeAllowed && fields.Type === 'Notification' && typeof fields.Message === 'string')
    return idIn(fields.Message, false);
  return null;
}

/** Milliseconds to whole SQS seconds, rounded up so a delay is never shorter than asked, within 0..12 h. */
export const visibilitySeconds = (ms: number) =>
  Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(ms / 1000)));

/**
 * Makes a received message visible again after the delay (the retry's backoff). A receipt whose lease
 * has ended is a no-op: the message is back in the queue already.
 */
export async function hideFor(
  sqs: SQSClient,
  queueUrl: string,
  receipt: string,
  delayMs: number,
): Promise<void> {
  try {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: receipt,
        VisibilityTimeout: visibilitySeconds(delayMs),
      }),
    );
  } catch (error) {
    if (!isStaleReceipt(error)) throw error;
  }
}

/**
 * Puts a message in the dead-letter queue with why it is there (the error, the delivery it got to, its
 * request), for an operator and for the reconciler.
 */
export async function sendToDeadLetter(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  message: { body: string; error: string; attempt: number; requestId: string | null },
): Promise<void> {
  const attributes: Record<string, MessageAttributeValue> = {
    error: { DataType: 'String', StringValue: message.error.slice(0, MAX_ERROR_CHARS) || 'unknown error' },
    attempt: { DataType: 'Number', StringValue: String(message.attempt) },
  };
  if (message.requestId !== null)
    attributes.request_id = { DataType: 'String', StringValue: message.requestId };
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: message.body,
      MessageAttributes: attributes,
    }),
  );
}

export interface SqsQueueOptions extends AwsClientOptions {
  queueUrl: string;
  /** Where `deadLetter` sends messages; without one (reading the DLQ itself) `deadLetter` throws. */
  deadLetterQueueUrl?: string;
  /** A client to share; built from the other options when absent. */
  sqs?: SQSClient;
  /** Long polling: how long a receive waits for a message (0-20 s). 0 answers at once. */
  waitTimeSeconds?: number;
}

interface Leased {
  body: string;
  requestId: string | null;
  attempt: number;
}

/** Whether SQS refused a receipt because its lease has ended: the message is back in the queue already. */
function isStaleReceipt(error: unknown): boolean {
  const name = awsErrorName(error);
  if (name === 'ReceiptHandleIsInvalid' || name === 'MessageNotInflight') return true;
  return name === 'InvalidParameterValue' && /receipt ?handle/i.test((error as Error).message);
}

/**
 * The Queue port on SQS, for a self-hosted worker polling the requests queue (the Lambda worker gets its
 * messages from the event source mapping instead). The attempt is SQS's ApproximateReceiveCount, the
 * receipt its ReceiptHandle. `retry` changes the message's visibility to the delay; `deadLetter` copies
 * the message to the DLQ with the error as a message attribute and deletes it, which needs the body, so
 * the queue remembers what it received until the message is settled.
 *
 * A message whose body names no request goes straight to the DLQ: no worker could ever process it.
 * Without a DLQ URL (the reconciler reading the DLQ itself) such a message is skipped.
 */
export class SqsQueue implements Queue {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string | undefined;
  private readonly sqs: SQSClient;
  private readonly waitTimeSeconds: number;
  private readonly leased = new Map<string, Leased>();

  constructor(options: SqsQueueOptions) {
    this.queueUrl = options.queueUrl;
    this.deadLetterQueueUrl = options.deadLetterQueueUrl;
    this.sqs = options.sqs ?? sqsClient(options);
    this.waitTimeSeconds = options.waitTimeSeconds ?? 0;
  }

  async receive(max: number, visibilityMs: number): Promise<Delivery[]> {
    if (max < 1) return [];
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(MAX_BATCH, Math.floor(max)),
        VisibilityTimeout: visibilitySeconds(visibilityMs),
        WaitTimeSeconds: this.waitTimeSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const deliveries: Delivery[] = [];
    for (const message of out.Messages ?? []) {
      const receipt = message.ReceiptHandle;
      if (!receipt) continue;
      const leased = this.lease(message);
      this.leased.set(receipt, leased);
      if (leased.requestId !== null)
        deliveries.push({ requestId: leased.requestId, attempt: leased.attempt, receipt });
      // Without a DLQ (this queue is one) it stays where it is, for inspection.
      else if (this.deadLetterQueueUrl !== undefined)
        await this.deadLetter(receipt, 'malformed message: no request_id');
      else this.leased.delete(receipt);
    }
    return deliveries;
  }

  /** Deletes the message. A receipt whose lease ended is a no-op, as in the SQLite queue. */
  async ack(receipt: string): Promise<void> {
    this.leased.delete(receipt);
    try {
      await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
    } catch (error) {
      if (!isStaleReceipt(error)) throw error;
    }
  }

  /**
   * Visible again after `delayMs` (whole seconds, at most SQS's 12 hours). SQS keeps no error with a
   * message; the caller records it in the request's history. A receipt whose lease ended is a no-op.
   */
  async retry(receipt: string, delayMs: number, _error: string): Promise<void> {
    this.leased.delete(receipt);
    await hideFor(this.sqs, this.queueUrl, receipt, delayMs);
  }

  /**
   * Sends the message to the DLQ with `error` (and the request id and attempt) as message attributes,
   * then deletes it from the queue. A crash between the two leaves a copy in both; the DLQ reader and
   * the worker both treat a finished request as done.
   */
  async deadLetter(receipt: string, error: string): Promise<void> {
    if (this.deadLetterQueueUrl === undefined)
      throw new Error('deadLetter: this queue has no dead-letter queue');
    const leased = this.leased.get(receipt);
    if (!leased) throw new Error('deadLetter: not a receipt this queue received (or already settled)');
    await sendToDeadLetter(this.sqs, this.deadLetterQueueUrl, {
      body: leased.body,
      error,
      attempt: leased.attempt,
      requestId: leased.requestId,
    });
    await this.ack(receipt);
  }

  private lease(message: Message): Leased {
    const body = message.Body ?? '';
    const count = Number(message.Attributes?.ApproximateReceiveCount);
    return {
      // SQS refuses an empty body: the DLQ copy of an empty message says so instead.
      body: body === '' ? '(empty)' : body,
      requestId: requestIdOf(body),
      attempt: Number.isInteger(count) && count > 0 ? count : 1,
    };
  }
}
