import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TokenRecord, TokenStore } from '../../ports.js';

export interface DynamoDbTokenStoreOptions {
  client: DynamoDBDocumentClient;
  /** The stack's one table (STATUS_TABLE): tokens live beside the requests under their own keys. */
  tableName: string;
}

/** Personal API tokens in the stack's DynamoDB table (a self-hosted `serve --backend aws`): digests only. */
export class DynamoDbTokenStore implements TokenStore {
  constructor(private readonly options: DynamoDbTokenStoreOptions) {}

  async create(record: TokenRecord): Promise<boolean> {
    void record;
    void this.options;
    throw new Error('not implemented: DynamoDbTokenStore.create');
  }

  async byDigest(digest: string): Promise<TokenRecord | undefined> {
    void digest;
    throw new Error('not implemented: DynamoDbTokenStore.byDigest');
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    void id;
    throw new Error('not implemented: DynamoDbTokenStore.get');
  }

  async list(): Promise<TokenRecord[]> {
    throw new Error('not implemented: DynamoDbTokenStore.list');
  }

  async revoke(
    id: string,
    at: Date,
    by: string,
  ): Promise<{ record: TokenRecord; changed: boolean } | undefined> {
    void id;
    void at;
    void by;
    throw new Error('not implemented: DynamoDbTokenStore.revoke');
  }
}
