/**
 * The token store and the audit trail on both runtimes' stores: one contract (test/support/
 * access-store-contract.ts) on SQLite and on DynamoDB (moto, the table from template.yaml), then what
 * each keeps in its own storage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoDbDocumentClient } from '../../src/adapters/aws/clients.js';
import { DynamoDbAuditLog } from '../../src/adapters/aws/dynamodb-audit-log.js';
import { DynamoDbTokenStore } from '../../src/adapters/aws/dynamodb-token-store.js';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/sqlite.js';
import { SqliteAuditLog } from '../../src/adapters/local/sqlite-audit-log.js';
import { SqliteTokenStore } from '../../src/adapters/local/sqlite-token-store.js';
import { accessStoreContract, auditEntry, T0, tokenRecord } from '../support/access-store-contract.js';
import { type AwsStack, createStack } from '../support/aws-stack.js';
import { emptyTable, tableItems } from '../support/dynamodb-table.js';
import { type MotoServer, startMoto } from '../support/moto.js';

describe('SQLite token store and audit log', () => {
  let dir: string;
  let db: SqliteDatabase;
  let stores: { tokens: SqliteTokenStore; audit: SqliteAuditLog };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rds-access-'));
    db = openDatabase(join(dir, 'service.db'));
    stores = { tokens: new SqliteTokenStore(db), audit: new SqliteAuditLog(db) };
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  accessStoreContract(() => stores);
});

describe('DynamoDB token store and audit log', () => {
  let moto: MotoServer;
  let stack: AwsStack;
  let doc: DynamoDBDocumentClient;
  let stores: { tokens: DynamoDbTokenStore; audit: DynamoDbAuditLog };

  beforeAll(async () => {
    moto = await startMoto();
    stack = await createStack(moto.clientConfig);
    doc = dynamoDbDocumentClient(moto.clientConfig);
  });

  afterAll(async () => {
    doc?.destroy();
    await moto?.stop();
  });

  // The table emptied, not re-created (creating it is most of the set-up's time); new stores each test,
  // so nothing one remembered (the days it marked) outlives its table's items.
  beforeEach(async () => {
    await emptyTable(doc, stack.tableName);
    stores = {
      tokens: new DynamoDbTokenStore({ client: doc, tableName: stack.tableName }),
      audit: new DynamoDbAuditLog({ client: doc, tableName: stack.tableName }),
    };
  });

  accessStoreContract(() => stores);

  it('keeps tokens and entries apart from the requests: none in the requests list partition', async () => {
    await stores.tokens.create(tokenRecord(1));
    await stores.audit.record(auditEntry(T0));
    const all = await tableItems(doc, stack.tableName);
    expect(all.length).toBeGreaterThan(0);
    for (const item of all) expect(item.list_pk).not.toBe('request');
    for (const item of all) expect(item.status).toBeUndefined();
  });
});
