import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * What every AWS adapter accepts to build its client. Unset fields fall back to the SDK's own chain
 * (AWS_REGION, AWS_ENDPOINT_URL, the credential provider chain), so a Lambda needs none of them.
 */
export interface AwsClientOptions {
  region?: string;
  /** An endpoint override (moto in tests); the SDK's AWS_ENDPOINT_URL works as well. */
  endpoint?: string;
  credentials?: DynamoDBClientConfig['credentials'];
}

/** Only the fields given: an explicit `endpoint: undefined` would hide AWS_ENDPOINT_URL from the SDK. */
export function clientConfig(options: AwsClientOptions = {}) {
  const config: AwsClientOptions = {};
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return config;
}

export function dynamoDbDocumentClient(options: AwsClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(options)), {
    // Optional RequestV1 fields may be present as undefined; DynamoDB has no such value.
    marshallOptions: { removeUndefinedValues: true },
  });
}

export const snsClient = (options: AwsClientOptions = {}) => new SNSClient(clientConfig(options));
export const sqsClient = (options: AwsClientOptions = {}) => new SQSClient(clientConfig(options));
export const secretsManagerClient = (options: AwsClientOptions = {}) =>
  new SecretsManagerClient(clientConfig(options));

/** The service's error code (`ConditionalCheckFailedException`, ...), whatever class the SDK made. */
export function awsErrorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** `TransactionCanceledException`'s reason code for each item of the transaction, in order. */
export function cancellationCodes(error: unknown): string[] | undefined {
  if (awsErrorName(error) !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}
