import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * The items of a Query, page after page, read only as far as the caller iterates: a caller that stops
 * early (a list page is full) reads no further page. `pageSize` is each call's Limit (with a filter it
 * counts the items read, not those matched).
 */
export async function* queryItems<T>(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  pageSize?: number,
): AsyncGenerator<T> {
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        ...input,
        ...(pageSize === undefined ? {} : { Limit: pageSize }),
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) yield item as T;
    start = out.LastEvaluatedKey;
  } while (start);
}
