import { posix } from 'node:path';

/**
 * Where a database's work lands in the repository. Defaults are the original system's:
 * branch `feature/provision-rds-{db_name}`, file `terraform/live/{db_name}.tf`, base `main`.
 */

export interface GitConventions {
  /** Branch template; `{db_name}` is replaced. */
  branch: string;
  /** File path template inside the repository; `{db_name}` is replaced. */
  file: string;
  /** Branch pull requests target. */
  base: string;
}

export const DEFAULT_GIT_CONVENTIONS: GitConventions = {
  branch: 'feature/provision-rds-{db_name}',
  file: 'terraform/live/{db_name}.tf',
  base: 'main',
};

const fill = (template: string, dbName: string) => template.replaceAll('{db_name}', dbName);

export function branchName(dbName: string, conventions: GitConventions = DEFAULT_GIT_CONVENTIONS): string {
  return fill(conventions.branch, dbName);
}

export function filePath(dbName: string, conventions: GitConventions = DEFAULT_GIT_CONVENTIONS): string {
  return fill(conventions.file, dbName);
}

/** The database created inside the engine: RDS allows letters, digits and underscores only. */
export function engineDatabaseName(dbName: string): string {
  return dbName.replaceAll('-', '_');
}

/** Where the module lives in the repository; generated files call it by a path relative to themselves. */
export const MODULE_DIR = 'terraform/modules/rds';

export function moduleSource(dbName: string, conventions: GitConventions = DEFAULT_GIT_CONVENTIONS): string {
  const relative = posix.relative(posix.dirname(filePath(dbName, conventions)), MODULE_DIR);
  return relative.startsWith('.') ? relative : `./${relative}`;
}

/** The database a branch was made for, by the branch template; null for any other branch. */
export function dbNameFromBranch(
  branch: string,
  conventions: GitConventions = DEFAULT_GIT_CONVENTIONS,
): string | null {
  const [before, after] = conventions.branch.split('{db_name}') as [string, string | undefined];
  if (after === undefined || !branch.startsWith(before) || !branch.endsWith(after)) return null;
  const name = branch.slice(before.length, branch.length - after.length);
  return name.length > 0 && !name.includes('/') ? name : null;
}
