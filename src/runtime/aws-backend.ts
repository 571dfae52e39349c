import { dynamoDbDocumentClient, snsClient, sqsClient } from '../adapters/aws/clients.js';
import { DynamoDbAuditLog } from '../adapters/aws/dynamodb-audit-log.js';
import { DynamoDbStatusStore } from '../adapters/aws/dynamodb-status-store.js';
import { DynamoDbTokenStore } from '../adapters/aws/dynamodb-token-store.js';
import { SnsIntake } from '../adapters/aws/sns-intake.js';
import { SqsQueue } from '../adapters/aws/sqs-queue.js';
import type { AuditLog, Intake, Logger, Queue, StatusStore, TokenStore } from '../ports.js';
import { parseEnv, StackResourcesEnv } from './stack-env.js';

/** A mistake in the AWS backend's environment: names each variable, never a value. */
export class AwsBackendConfigError extends Error {
  override name = 'AwsBackendConfigError';
}

export interface Backend {
  store: StatusStore;
  intake: Intake;
  queue: Queue;
  audit: AuditLog;
  tokens: TokenStore;
}

/**
 * The status store, intake and queue on a deployed stack's DynamoDB table, SNS topic and SQS queues, so
 * workers on a team's own machines can process what the AWS API accepts (credentials, region and any
 * endpoint override come from the SDK's usual sources).
 */
export function awsBackendFromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): Backend {
  // The same variables the Lambda functions read.
  const config = parseEnv(
    StackResourcesEnv,
    env,
    (problems) => new AwsBackendConfigError(`--backend aws needs the stack's resources: ${problems}`),
  );
  const client = dynamoDbDocumentClient();
  const tableName = config.STATUS_TABLE;
  const store = new DynamoDbStatusStore({ client, tableName });
  return {
    store,
    audit: new DynamoDbAuditLog({ client, tableName }),
    tokens: new DynamoDbTokenStore({ client, tableName }),
    intake: new SnsIntake({ store, sns: snsClient(), topicArn: config.TOPIC_ARN, logger }),
    queue: new SqsQueue({
      sqs: sqsClient(),
      queueUrl: config.QUEUE_URL,
      deadLetterQueueUrl: config.DEAD_LETTER_QUEUE_URL,
      waitTimeSeconds: 1,
    }),
  };
}
