import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Position, RequestRecord } from '../../domain/status.js';
import type { Clock, Intake, Logger, StatusChange, SubmitResult } from '../../ports.js';
import { type AwsClientOptions, snsClient } from './clients.js';
import type { DynamoDbStatusStore } from './dynamodb-status-store.js';

/** What the intake needs of the status store. */
export type IntakeStore = Pick<
  DynamoDbStatusStore,
  'insertQueued' | 'markPublished' | 'removeUnpublished' | 'unpublishedQueued' | 'move'
>;

export interface SnsIntakeOptions extends AwsClientOptions {
  store: IntakeStore;
  topicArn: string;
  /** A client to share; built from the other options when absent. */
  sns?: SNSClient;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Publishes a request's message: body `{"request_id":"<id>"}` and the same id as the `request_id`
 * message attribute (docs/aws-contract.md). Returns the SNS message id. The reconciler reuses it.
 */
export async function publishRequest(sns: SNSClient, topicArn: string, id: string): Promise<string> {
  const out = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Message: JSON.stringify({ request_id: id }),
      MessageAttributes: { request_id: { DataType: 'String', StringValue: id } },
    }),
  );
  return out.MessageId ?? '';
}

/**
 * DynamoDB and SNS share no transaction, so the intake orders the steps to leave nothing half-accepted:
 * record the request (and its lock), publish, then mark it published. A failed publish removes the
 * record again and rethrows. A crash between the write and the publish leaves a queued request without
 * `published_at`, which the reconciler publishes later; so does one between a move to the next step
 * and its publish.
 */
export class SnsIntake implements Intake {
  private readonly store: IntakeStore;
  private readonly topicArn: string;
  private readonly sns: SNSClient;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;

  constructor(options: SnsIntakeOptions) {
    this.store = options.store;
    this.topicArn = options.topicArn;
    this.sns = options.sns ?? snsClient(options);
    this.clock = options.clock ?? { now: () => new Date() };
    this.logger = options.logger;
  }

  async submit(record: RequestRecord): Promise<SubmitResult> {
    const inserted = await this.store.insertQueued(record);
    if (!inserted.ok) return inserted;
    try {
      await publishRequest(this.sns, this.topicArn, record.id);
    } catch (error) {
      try {
        await this.store.removeUnpublished(record.id);
      } catch (rollback) {
        // The caller still hears the publish error; the reconciler publishes the leftover request later.
        this.logger?.error('publish failed and its record could not be removed', {
          request_id: record.id,
          error: rollback instanceof Error ? rollback.message : String(rollback),
        });
      }
      throw error;
    }
    await this.markPublished(record.id);
    return { ok: true };
  }

  /**
   * Moves the request from exactly `from` to queued at the next step, clearing `published_at` in the same
   * conditional write, then publishes and marks it published. A request elsewhere than `from`, or a move
   * the state machine refuses (a replayed merge), changes and publishes nothing. A failed publish cannot be undone by moving
   * back, and need not be: the request stays queued and unpublished, and the reconciler publishes it, so
   * the failure is logged and the move stands.
   */
  async advance(
    id: string,
    from: Position,
    change: StatusChange,
  ): Promise<{ record: RequestRecord; changed: boolean } | undefined> {
    const moved = await this.store.move(id, 'queued', { ...change, step: from.step + 1 }, from);
    if (!moved?.changed) return moved;
    try {
      await publishRequest(this.sns, this.topicArn, id);
    } catch (error) {
      this.logger?.warn('request moved to its next step but not published; the reconciler publishes it', {
        request_id: id,
        error: error instanceof Error ? error.message : String(error),
      });
      return moved;
    }
    await this.markPublished(id);
    return moved;
  }

  /** After a publish: a failure here only costs a second message from the reconciler. */
  private async markPublished(id: string): Promise<void> {
    try {
      await this.store.markPublished(id, this.clock.now());
    } catch (error) {
      // The message is out, so the request is accepted. Unmarked, the reconciler publishes it once more;
      // the worker handles a duplicate delivery.
      this.logger?.warn('request published but not marked published', {
        request_id: id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * Publishes the requests still queued without `published_at` that were created before `olderThan`
   * (the API died between the write and the publish), oldest first, at most `limit`. Returns how many.
   */
  async republishUnpublished(olderThan: Date, limit = 100): Promise<number> {
    const records = await this.store.unpublishedQueued(olderThan, limit);
    for (const record of records) {
      await publishRequest(this.sns, this.topicArn, record.id);
      await this.store.markPublished(record.id, this.clock.now());
    }
    return records.length;
  }
}
