import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the service's SQLite database. WAL lets the API read while the worker
 * writes; synchronous=NORMAL keeps every committed transaction across a process crash (SIGKILL), which
 * is the failure the service must survive; only an OS crash or power loss can drop the last commits.
 * Each adapter creates its own tables with idempotent DDL on construction.
 */
export function openDatabase(file: string): SqliteDatabase {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
