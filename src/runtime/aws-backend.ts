import * as z from 'zod';
import { dynamoDbDocumentClient, snsClient, sqsClient } from '../adapters/aws/clients.js';
import { DynamoDbStatusStore } from '../adapters/aws/dynamodb-status-store.js';
import { SnsIntake } from '../adapters/aws/sns-intake.js';
import { SqsQueue } from '../adapters/aws/sqs-queue.js';
import type { Intake, Logger, Queue, StatusStore } from '../ports.js';

/** The stack's resources, named by the same variables the Lambda functions read (template.yaml outputs). */
const AwsBackendEnv = z.object({
  STATUS_TABLE: z.string().min(1),
  TOPIC_ARN: z.string().startsWith('arn:'),
  QUEUE_URL: z.url(),
  DEAD_LETTER_QUEUE_URL: z.url(),
});

/** A mistake in the AWS backend's environment: names each variable, never a value. */
export class AwsBackendConfigError extends Error {
  override name = 'AwsBackendConfigError';
}

export interface Backend {
  store: StatusStore;
  intake: Intake;
  queue: Queue;
}

/**
 * The status store, intake and queue on a deployed stack's DynamoDB table, SNS topic and SQS queues, so
 * workers on a team's own machines can process what the AWS API accepts (credentials, region and any
 * endpoint override come from the SDK's usual sources).
 */
export function awsBackendFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): Backend {
  const parsed = AwsBackendEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new AwsBackendConfigError(`--backend aws needs the stack's resources: ${problems.join('; ')}`);
  }
  const config = parsed.data;
  const store = new DynamoDbStatusStore({ client: dynamoDbDocumentClient(), tableName: config.STATUS_TABLE });
  return {
    store,
    intake: new SnsIntake({ store, sns: snsClient(), topicArn: config.TOPIC_ARN, logger }),
    queue: new SqsQueue({
      sqs: sqsClient(),
      queueUrl: config.QUEUE_URL,
      deadLetterQueueUrl: config.DEAD_LETTER_QUEUE_URL,
      waitTimeSeconds: 1,
    }),
  };
}
