import { LAYOUT_DEFAULTS, type LayoutSettings } from './layout.js';

/**
 * Where a database's work lands in the repository: the branch it is written on, the branch it targets,
 * and the layout of its files (./layout.ts). Defaults are the original system's: branch
 * `feature/provision-rds-{db_name}`, file `terraform/live/{db_name}.tf` in one root, base `main`.
 */
export interface GitConventions extends LayoutSettings {
  /** A creation's branch template; `{db_name}` is replaced. */
  branch: string;
  /** A change's branch template; `{db_name}` and `{short_id}` are replaced. */
  change_branch: string;
  /** A retirement's branch template, the same way. */
  retire_branch: string;
  /** Branch pull requests target. */
  base: string;
}

export const DEFAULT_GIT_CONVENTIONS: GitConventions = {
  branch: 'feature/provision-rds-{db_name}',
  change_branch: 'feature/change-rds-{db_name}-{short_id}',
  retire_branch: 'feature/retire-rds-{db_name}-{short_id}',
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
  /** A placeholder in the template standing for a request's short id. */
  shortIdMark?: string,
): string | null {
  const [before, rawAfter] = conventions.branch.split('{db_name}') as [string, string | undefined];
  if (rawAfter === undefined || !branch.startsWith(before)) return null;
  let rest = branch.slice(before.length);
  let after = rawAfter;
  if (shortIdMark !== undefined) {
    const [head, tail] = after.split(shortIdMark) as [string, string | undefined];
    if (tail === undefined || !rest.endsWith(tail)) return null;
    rest = rest.slice(0, rest.length - tail.length);
    // The short id: 8 letters and digits of the request id (see shortId).
    if (!/^[0-9a-z]{8}$/.test(rest.slice(-8))) return null;
    rest = rest.slice(0, -8);
    after = head;
  }
  if (!rest.endsWith(after)) return null;
  const name = rest.slice(0, rest.length - after.length);
  return name.length > 0 && !name.includes('/') ? name : null;
}

/**
 * The characters of a request id that name its branch and its final snapshot: the last 8 letters and
 * digits, lowercased. The service's ids are UUIDv7, whose leading characters are the time and repeat for
 * a minute; the tail is random. Letters and digits only, so a snapshot name stays valid.
 */
export const shortId = (requestId: string) =>
  requestId
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(-8)
    .toLowerCase();

/** What decides a request's branch. */
export interface BranchFor {
  id: string;
  kind: 'create' | 'change' | 'retire';
  dbName: string;
  /** A retirement's first step, when the database must lose its deletion protection before it goes. */
  unprotect?: boolean;
}

/**
 * The branch a request's pull request comes from: the creation template for a creation, else the
 * change or retire template with the request's short id, so each change has a branch of its own.
 */
export function requestBranch(
  request: BranchFor,
  conventions: GitConventions = DEFAULT_GIT_CONVENTIONS,
): string {
  if (request.kind === 'create') return branchName(request.dbName, conventions);
  const template = request.kind === 'change' ? conventions.change_branch : conventions.retire_branch;
  const branch = fill(template, request.dbName).replaceAll('{short_id}', shortId(request.id));
  return request.unprotect ? `${branch}-unprotect` : branch;
}

/**
 * The database any request's branch was made for, by the creation, change or retire template (a
 * retirement's first step adds `-unprotect`); null for any other branch.
 */
export function dbNameFromAnyBranch(
  branch: string,
  conventions: GitConventions = DEFAULT_GIT_CONVENTIONS,
): string | null {
  const created = dbNameFromBranch(branch, conventions);
  if (created) return created;
  for (const template of [conventions.change_branch, conventions.retire_branch]) {
    for (const candidate of [branch, branch.replace(/-unprotect$/, '')]) {
      const name = dbNameFromBranch(
        candidate,
        { ...conventions, branch: template.replace('{short_id}', '\u0000') },
        '\u0000',
      );
      if (name) return name;
    }
  }
  return null;
}
