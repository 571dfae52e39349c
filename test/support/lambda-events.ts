import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** A Lambda context as the service passes one; only what the handlers and Powertools read. */
export function lambdaContext(functionName = 'test-function', remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export interface ApiCall {
  method: string;
  path: string;
  body?: unknown;
  /** Raw body text, sent as is (takes precedence over `body`). */
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** The IAM principal API Gateway authenticated (AWS_IAM); none: an anonymous route. */
  userArn?: string | null;
  apiKeyId?: string;
}

/** The event API Gateway's REST API (Lambda proxy integration) sends for a call to stage `v1`. */
export function apiGatewayEvent(call: ApiCall): APIGatewayProxyEvent {
  const body = call.rawBody ?? (call.body === undefined ? null : JSON.stringify(call.body));
  const headers: Record<string, string> = {
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    ...(body !== null ? { 'content-type': 'application/json' } : {}),
    ...call.headers,
  };
  return {
    resource: call.path,
    path: call.path,
    httpMethod: call.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: call.query ?? null,
    multiValueQueryStringParameters: call.query
      ? Object.fromEntries(Object.entries(call.query).map(([k, v]) => [k, [v]]))
      : null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      httpMethod: call.method,
      path: `/v1${call.path}`,
      protocol: 'HTTP/1.1',
      requestId: crypto.randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'res',
      resourcePath: call.path,
      stage: 'v1',
      identity: {
        accessKey: null,
        accountId: call.userArn ? '123456789012' : null,
        apiKey: null,
        apiKeyId: call.apiKeyId ?? null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: 'test',
        userArn: call.userArn ?? null,
      },
    },
  };
}

/**
 * What the Lambda service's SQS poller does for a function with ReportBatchItemFailures: receive a
 * batch, invoke the handler with it, delete the records not reported as failed. Returns the batch and
 * the handler's response (empty batch: nothing was visible).
 */
export async function pollOnce(
  sqs: SQSClient,
  queueUrl: string,
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  options: {
    batchSize?: number;
    visibilityTimeout?: number;
    waitSeconds?: number;
    remainingMs?: number;
  } = {},
): Promise<{ records: SQSRecord[]; failed: string[] }> {
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.batchSize ?? 10,
      VisibilityTimeout: options.visibilityTimeout ?? 30,
      WaitTimeSeconds: options.waitSeconds ?? 0,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  const records: SQSRecord[] = (received.Messages ?? []).map((m) => ({
    messageId: m.MessageId as string,
    receiptHandle: m.ReceiptHandle as string,
    body: m.Body as string,
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
      SenderId: m.Attributes?.SenderId ?? 'sender',
      ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType as string, stringValue: value.StringValue as string },
      ]),
    ),
    md5OfBody: m.MD5OfBody as string,
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:requests',
    awsRegion: 'us-east-1',
  }));
  if (records.length === 0) return { records, failed: [] };
  const response = await handler({ Records: records }, lambdaContext('worker', options.remainingMs));
  const failed = response.batchItemFailures.map((f) => f.itemIdentifier);
  const done = records.filter((r) => !failed.includes(r.messageId));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  }
  return { records, failed };
}
