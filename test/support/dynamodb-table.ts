import { DeleteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

/** Every item of a table (a test's view; the service never scans). */
export async function tableItems(doc: DynamoDBDocumentClient, tableName: string) {
  const all: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    all.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return all;
}

/** Deletes every item of a table keyed by `pk`: emptied, not re-created (creating it takes longer). */
export async function emptyTable(doc: DynamoDBDocumentClient, tableName: string) {
  await Promise.all(
    (await tableItems(doc, tableName)).map((item) =>
      doc.send(new DeleteCommand({ TableName: tableName, Key: { pk: item.pk } })),
    ),
  );
}
