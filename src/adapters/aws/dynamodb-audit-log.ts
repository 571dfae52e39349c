import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, AuditLog, AuditQuery } from '../../ports.js';

export interface DynamoDbAuditLogOptions {
  client: DynamoDBDocumentClient;
  /** The stack's one table (STATUS_TABLE): audit entries live beside the requests under their own keys. */
  tableName: string;
}

/** The audit trail in the stack's DynamoDB table: append-only, newest first. */
export class DynamoDbAuditLog implements AuditLog {
  constructor(private readonly options: DynamoDbAuditLogOptions) {}

  async record(entry: AuditEntry): Promise<void> {
    void entry;
    void this.options;
    throw new Error('not implemented: DynamoDbAuditLog.record');
  }

  async list(query: AuditQuery): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    void query;
    throw new Error('not implemented: DynamoDbAuditLog.list');
  }
}
