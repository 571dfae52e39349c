import { possibleFiles } from '../domain/layout.js';
import { type DatabaseFile, readDatabaseFile } from '../render/read-database-file.js';
import type { AppContext } from './context.js';

/** A database's file on the base branch, read back. */
export interface DatabaseOnBase {
  path: string;
  content: string;
  file: DatabaseFile;
}

/**
 * The database's file on the base branch (at `ref`, by default the base's head), whichever environment
 * holds it: a name is one database across environments. Undefined when no environment has it.
 */
export async function databaseOnBase(
  ctx: AppContext,
  dbName: string,
  ref: string = ctx.conventions.base,
): Promise<DatabaseOnBase | undefined> {
  const { conventions } = ctx;
  for (const path of possibleFiles(conventions, dbName, Object.keys(ctx.policy.policy.environments))) {
    const content = await ctx.git.readFile(ref, path);
    if (content === null) continue;
    return { path, content, file: readDatabaseFile(content, path, conventions) };
  }
  return undefined;
}

/** Why a file on the base branch cannot be changed by the service: it would overwrite someone's edit. */
export function notWrittenByUs(onBase: DatabaseOnBase): string | null {
  const { file, path } = onBase;
  if (file.kind === 'generated') return null;
  if (file.kind === 'hand-edited')
    return `${path} was edited by hand since rds-provisioner wrote it (${file.reason}); a change would overwrite that edit, so change it by hand or restore the generated text`;
  return `${path} was not written by rds-provisioner (${file.reason}); change it by hand`;
}
