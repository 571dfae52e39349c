import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TokenRecord, TokenStore } from '../../ports.js';
import { awsErrorName, cancellationCodes } from './clients.js';
import { BY_CREATED, createdId } from './dynamodb-items.js';
import { queryItems } from './dynamodb-query.js';

export interface DynamoDbTokenStoreOptions {
  client: DynamoDBDocumentClient;
  /** The stack's one table (STATUS_TABLE): tokens live beside the requests under their own keys. */
  tableName: string;
}

/** Hash key of GSI `by-created` for tokens: all of them in one small partition, newest first by range. */
export const TOKEN_LIST_PK = 'token';

/** The token's item, keyed by its digest: the look-up every authenticated call makes is one GetItem. */
export const tokenKey = (digest: string) => ({ pk: `tokendigest#${digest}` });
/** The item that claims a token's public id and names its digest. */
export const tokenIdKey = (id: string) => ({ pk: `tokenid#${id}` });

interface TokenItem {
  pk: string;
  kind: 'token';
  id: string;
  user: string;
  role: TokenRecord['role'];
  /** Absent: every environment. */
  environments?: string[];
  digest: string;
  created_at: string;
  created_by: string;
  revoked_at?: string;
  revoked_by?: string;
  list_pk: typeof TOKEN_LIST_PK;
  created_id: string;
}

interface TokenIdItem {
  pk: string;
  kind: 'tokenid';
  id: string;
  digest: string;
}

function toItem(record: TokenRecord): TokenItem {
  const item: TokenItem = {
    ...tokenKey(record.digest),
    kind: 'token',
    id: record.id,
    user: record.user,
    role: record.role,
    digest: record.digest,
    created_at: record.createdAt,
    created_by: record.createdBy,
    list_pk: TOKEN_LIST_PK,
    created_id: createdId(record.createdAt, record.id),
  };
  if (record.environments !== null) item.environments = [...record.environments];
  if (record.revokedAt !== null) item.revoked_at = record.revokedAt;
  if (record.revokedBy !== null) item.revoked_by = record.revokedBy;
  return item;
}

const toRecord = (item: TokenItem): TokenRecord => ({
  id: item.id,
  user: item.user,
  role: item.role,
  environments: item.environments ?? null,
  digest: item.digest,
  createdAt: item.created_at,
  createdBy: item.created_by,
  revokedAt: item.revoked_at ?? null,
  revokedBy: item.revoked_by ?? null,
});

/** Tries of a creation whose transaction met another one on the same items (neither decided yet). */
const MAX_TRIES = 5;

/**
 * Personal API tokens in the stack's DynamoDB table (a self-hosted `serve --backend aws`): digests only,
 * never a token. Two items a token: its record keyed by digest (the authenticator's one GetItem, strongly
 * consistent, so a revocation acts at once) and a claim of its id naming the digest; both written in one
 * transaction, each conditional on being new, so neither an id nor a digest is ever taken twice. The
 * list reads GSI `by-created` (hash `token`): eventually consistent, as any GSI.
 */
export class DynamoDbTokenStore implements TokenStore {
  constructor(private readonly options: DynamoDbTokenStoreOptions) {}

  async create(record: TokenRecord): Promise<boolean> {
    const claim: TokenIdItem = {
      ...tokenIdKey(record.id),
      kind: 'tokenid',
      id: record.id,
      digest: record.digest,
    };
    const put = (item: TokenItem | TokenIdItem) => ({
      Put: {
        TableName: this.options.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    for (let tries = 1; ; tries++) {
      try {
        await this.options.client.send(
          new TransactWriteCommand({ TransactItems: [put(toItem(record)), put(claim)] }),
        );
        return true;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes?.includes('ConditionalCheckFailed')) return false;
        if (!codes?.includes('TransactionConflict') || tries >= MAX_TRIES) throw error;
      }
    }
  }

  async byDigest(digest: string): Promise<TokenRecord | undefined> {
    const item = await this.read<TokenItem>(tokenKey(digest));
    return item ? toRecord(item) : undefined;
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const claim = await this.read<TokenIdItem>(tokenIdKey(id));
    return claim ? this.byDigest(claim.digest) : undefined;
  }

  async list(): Promise<TokenRecord[]> {
    const records: TokenRecord[] = [];
    const items = queryItems<TokenItem>(this.options.client, {
      TableName: this.options.tableName,
      IndexName: BY_CREATED,
      KeyConditionExpression: 'list_pk = :pk',
      ExpressionAttributeValues: { ':pk': TOKEN_LIST_PK },
      ScanIndexForward: false,
    });
    for await (const item of items) records.push(toRecord(item));
    return records;
  }

  /** Sets revoked_at and revoked_by on condition that revoked_at is absent: the first revocation stays. */
  async revoke(
    id: string,
    at: Date,
    by: string,
  ): Promise<{ record: TokenRecord; changed: boolean } | undefined> {
    const claim = await this.read<TokenIdItem>(tokenIdKey(id));
    if (!claim) return undefined;
    try {
      const out = await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: tokenKey(claim.digest),
          UpdateExpression: 'SET revoked_at = :at, revoked_by = :by',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revoked_at)',
          ExpressionAttributeValues: { ':at': at.toISOString(), ':by': by },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { record: toRecord(out.Attributes as TokenItem), changed: true };
    } catch (error) {
      if (awsErrorName(error) !== 'ConditionalCheckFailedException') throw error;
    }
    const record = await this.byDigest(claim.digest);
    return record ? { record, changed: false } : undefined;
  }

  private async read<T>(key: { pk: string }): Promise<T | undefined> {
    const out = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true }),
    );
    return out.Item as T | undefined;
  }
}
