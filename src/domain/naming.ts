import { LAYOUT_DEFAULTS, type LayoutSettings } from './layout.js';

/**
 * Where a database's work lands in the repository: the branch it is written on, the branch it targets,
 * and the layout of its files (./layout.ts). Defaults are the original system's: branch
 * `feature/provision-rds-{db_name}`, file `terraform/live/{db_name}.tf` in one root, base `main`.
 */
export interface GitConventions extends LayoutSettings {
  /** Branch template; `{db_name}` is replaced. */
  branch: string;
  /** Branch pull requests target. */
  base: string;
}

export const DEFAULT_GIT_CONVENTIONS: GitConventions = {
  branch: 'feature/provision-rds-{db_name}',
  base: 'main',
  ...LAYOUT_DEFAULTS['single-root'],
};

const fill = (template: string, dbName: string) => template.replaceAll('{db_name}', dbName);

export function branchName(dbName: string, conventions: GitConventions = DEFAULT_GIT_CONVENTIONS): string {
  return fill(conventions.branch, dbName);
}

/** The database created inside the engine: RDS allows letters, digits and underscores only. */
export function engineDatabaseName(dbName: string): string {
  return dbName.replaceAll('-', '_');
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
