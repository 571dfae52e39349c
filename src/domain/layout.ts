import { posix } from 'node:path';
import { RESERVED_DB_NAMES } from './request.js';

/**
 * Where a database's Terraform lives, in one place: its root directory, its file, the module source
 * seen from that file and, when each database has a root of its own, its state key. Everything that
 * writes, finds or plans a database's files asks this module; nothing else spells a path.
 *
 * Two layouts:
 * - `single-root` (the original system's): every database is a file of one root, one state,
 *   `terraform/live/{db_name}.tf`.
 * - `per-database`: every database is a root of its own, `terraform/live/{environment}/{db_name}/main.tf`,
 *   with its own state key; the bucket and locking are shared in one backend file.
 */

export type LayoutKind = 'single-root' | 'per-database';
export const LAYOUT_KINDS = ['single-root', 'per-database'] as const satisfies readonly LayoutKind[];

export interface LayoutSettings {
  layout: LayoutKind;
  /** File path template: `{db_name}`, and `{environment}` in a per-database layout. */
  file: string;
  /** S3 key template of each root's state; per-database only, null for the single root. */
  state_key: string | null;
  /** The shared partial backend configuration (bucket, region, locking); per-database only. */
  backend_config: string | null;
}

export const LAYOUT_DEFAULTS: Readonly<Record<LayoutKind, LayoutSettings>> = {
  'single-root': {
    layout: 'single-root',
    file: 'terraform/live/{db_name}.tf',
    state_key: null,
    backend_config: null,
  },
  'per-database': {
    layout: 'per-database',
    file: 'terraform/live/{environment}/{db_name}/main.tf',
    state_key: 'rds-provisioner/{environment}/{db_name}/terraform.tfstate',
    backend_config: 'terraform/live/backend.hcl',
  },
};

/** Where the module lives in the repository; generated files call it by a path relative to themselves. */
export const MODULE_DIR = 'terraform/modules/rds';

export interface DatabaseLocation {
  environment: string;
  dbName: string;
  /** The directory Terraform runs in for this database. */
  root: string;
  /** The generated file. */
  file: string;
  /** The module source, relative to the file. */
  moduleSource: string;
  /** The state key of the database's own root; null when it shares the single root's state. */
  stateKey: string | null;
  /** The shared backend file, relative to the root (for `terraform init -backend-config=`); null for the single root. */
  backendConfig: string | null;
}

const fill = (template: string, environment: string, dbName: string) =>
  template.replaceAll('{environment}', environment).replaceAll('{db_name}', dbName);

const relativeFrom = (from: string, to: string) => {
  const relative = posix.relative(from, to);
  return relative.startsWith('.') ? relative : `./${relative}`;
};

export function locate(settings: LayoutSettings, dbName: string, environment: string): DatabaseLocation {
  const file = fill(settings.file, environment, dbName);
  const root = posix.dirname(file);
  const perDatabase = settings.layout === 'per-database';
  return {
    environment,
    dbName,
    root,
    file,
    moduleSource: relativeFrom(root, MODULE_DIR),
    stateKey: perDatabase && settings.state_key ? fill(settings.state_key, environment, dbName) : null,
    backendConfig:
      perDatabase && settings.backend_config ? relativeFrom(root, settings.backend_config) : null,
  };
}

/**
 * Every file a database of this name could be, one per environment: a name is one database across
 * environments (a cluster identifier, a module address), so a new request checks them all.
 */
export function possibleFiles(
  settings: LayoutSettings,
  dbName: string,
  environments: readonly string[],
): string[] {
  return [...new Set(environments.map((env) => locate(settings, dbName, env).file))];
}

/** What a path in the repository is to the pipelines. */
export type PathRole =
  | { kind: 'database'; environment: string; dbName: string; root: string }
  /** Changes every root: the module, the shared backend file, the single root's own files. */
  | { kind: 'shared' }
  /** A Terraform file where no root runs it: a mistake the pipelines report. */
  | { kind: 'stray'; reason: string }
  | { kind: 'unrelated' };

/** Files Terraform reads or writes beside a configuration: `.tf`, `.tf.json`, `.tfvars(.json)`, `.hcl`. */
const TERRAFORM_FILE = /\.(tf|tf\.json|tfvars|tfvars\.json|hcl)$/;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NAME_SEGMENT = '([a-z0-9][a-z0-9-]*)';

/**
 * The fixed directory every database's files live under: the single root itself, or the directory
 * above the per-database roots (the part of the template before its first placeholder).
 */
export function layoutDirectory(settings: LayoutSettings): string {
  const segments = posix.dirname(settings.file).split('/');
  const first = segments.findIndex((s) => s.includes('{'));
  return (first === -1 ? segments : segments.slice(0, first)).join('/') || '.';
}

/**
 * Which database a repository path is the file of, by the file template: its name, and its environment
 * when the path holds one (per-database); null for any other path, and for a root's own files.
 */
export function databaseFileMatcher(
  settings: LayoutSettings,
): (path: string) => { dbName: string; environment: string | null } | null {
  const parts = settings.file.split(/(\{environment\}|\{db_name\})/);
  const order: string[] = parts.filter((p) => p === '{environment}' || p === '{db_name}');
  const pattern = new RegExp(
    `^${parts.map((p) => (p === '{environment}' || p === '{db_name}' ? NAME_SEGMENT : escapeRegExp(p))).join('')}$`,
  );
  return (path) => {
    const match = pattern.exec(path);
    if (!match) return null;
    const value = (name: string) => {
      const at = order.indexOf(name);
      return at === -1 ? null : (match[at + 1] as string);
    };
    const dbName = value('{db_name}') as string;
    if (RESERVED_DB_NAMES.includes(dbName)) return null;
    return { dbName, environment: value('{environment}') };
  };
}

/** Per-database: which root a path is in, read by the root template (`{environment}`, `{db_name}` whole segments). */
function rootMatcher(settings: LayoutSettings) {
  const rootTemplate = posix.dirname(settings.file);
  const segments = rootTemplate.split('/');
  const envIndex = segments.indexOf('{environment}');
  const dbIndex = segments.indexOf('{db_name}');
  const pattern = new RegExp(
    `^${segments
      .map((s) => (s === '{environment}' || s === '{db_name}' ? NAME_SEGMENT : escapeRegExp(s)))
      .join('/')}(?:/(.+))?$`,
  );
  return (path: string) => {
    const match = pattern.exec(path);
    if (!match) return null;
    const environment = match[envIndex < dbIndex ? 1 : 2] as string;
    const dbName = match[envIndex < dbIndex ? 2 : 1] as string;
    return { environment, dbName, root: fill(rootTemplate, environment, dbName), rest: match[3] };
  };
}

/** Classifies repository paths by a layout; build once, call per path. */
export function pathClassifier(settings: LayoutSettings): (path: string) => PathRole {
  const moduleDir = `${MODULE_DIR}/`;
  if (settings.layout === 'single-root') {
    const root = posix.dirname(settings.file);
    return (path) => {
      if (path.startsWith(moduleDir)) return { kind: 'shared' };
      if (posix.dirname(path) === root && TERRAFORM_FILE.test(path)) return { kind: 'shared' };
      return { kind: 'unrelated' };
    };
  }
  const rootTemplate = posix.dirname(settings.file);
  const rootOf = rootMatcher(settings);
  // Terraform files under the roots' directory but outside a root are stray.
  const base = `${layoutDirectory(settings)}/`;
  const backend = settings.backend_config;
  return (path) => {
    if (path.startsWith(moduleDir) || path === backend) return { kind: 'shared' };
    const inRoot = rootOf(path);
    if (inRoot) {
      const { environment, dbName, root, rest } = inRoot;
      if (rest === undefined)
        return { kind: 'stray', reason: `${path} is a file where a database's root directory belongs` };
      return { kind: 'database', environment, dbName, root };
    }
    if (
      path.startsWith(base) &&
      TERRAFORM_FILE.test(path) &&
      posix.basename(path) !== posix.basename(backend ?? '')
    ) {
      return {
        kind: 'stray',
        reason: `${path} is not inside a database's root (${rootTemplate}); no pipeline runs it`,
      };
    }
    return { kind: 'unrelated' };
  };
}

/** Problems with a layout, each with the policy key it is about; empty when it is sound. */
export function layoutProblems(settings: LayoutSettings): Array<{ path: string[]; message: string }> {
  const problems: Array<{ path: string[]; message: string }> = [];
  const problem = (key: string, message: string) => problems.push({ path: ['git', key], message });
  for (const [key, template] of [
    ['file', settings.file],
    ['state_key', settings.state_key],
  ] as const) {
    for (const placeholder of template?.match(/\{[^}]*\}/g) ?? []) {
      if (placeholder !== '{db_name}' && placeholder !== '{environment}')
        problem(key, `${placeholder} is not a placeholder; use {environment} and {db_name}`);
    }
  }
  const dir = posix.dirname(settings.file);
  const name = posix.basename(settings.file);
  const dirSegments = dir.split('/');
  if (
    `${dir}/`.startsWith(`${MODULE_DIR}/`) ||
    (MODULE_DIR.startsWith(`${dir}/`) && settings.layout === 'per-database')
  )
    problem('file', `must not put databases inside or above the module (${MODULE_DIR})`);
  if (settings.layout === 'single-root') {
    if (dir.includes('{'))
      problem(
        'file',
        `with layout single-root every database is a file of one root directory: ${dir} must not contain a placeholder (set git.layout: per-database for a root per database)`,
      );
    if (!name.includes('{db_name}'))
      problem('file', 'with layout single-root the file name must contain {db_name}');
    if (settings.state_key !== null)
      problem(
        'state_key',
        'applies only to git.layout per-database; the single root keeps its state key in its backend.tf',
      );
    if (settings.backend_config !== null)
      problem('backend_config', 'applies only to git.layout per-database');
    return problems;
  }
  const dbIndex = dirSegments.indexOf('{db_name}');
  const envIndex = dirSegments.indexOf('{environment}');
  if (dbIndex === -1)
    problem(
      'file',
      `${settings.file} can put two databases in one root (${dir}): with layout per-database, {db_name} must be a whole directory, e.g. terraform/live/{environment}/{db_name}/main.tf`,
    );
  if (envIndex === -1)
    problem(
      'file',
      `${settings.file} does not say which environment a root belongs to: {environment} must be a whole directory, e.g. terraform/live/{environment}/{db_name}/main.tf`,
    );
  if (
    dirSegments.filter((s) => s.includes('{')).length !==
    (dbIndex === -1 ? 0 : 1) + (envIndex === -1 ? 0 : 1)
  )
    problem('file', 'placeholders in the directory must each be a whole directory name, and appear once');
  if (name.includes('{'))
    problem('file', `the file name in a database's root is fixed, e.g. main.tf, not ${name}`);
  const moduleAsRoot = dbIndex !== -1 && envIndex !== -1 ? rootMatcher(settings)(MODULE_DIR) : null;
  if (moduleAsRoot)
    problem(
      'file',
      `${settings.file} would make the module (${MODULE_DIR}) a database root, for environment ${moduleAsRoot.environment} and database ${moduleAsRoot.dbName}; start the roots in a directory of their own, e.g. terraform/live/{environment}/{db_name}/main.tf`,
    );
  if (envIndex === 0 || dbIndex === 0)
    problem(
      'file',
      'must start with a fixed directory, e.g. terraform/live/, so files outside the roots can be told apart',
    );
  const key = settings.state_key;
  if (key === null) problem('state_key', 'is required with git.layout per-database');
  else {
    if (!key.includes('{db_name}'))
      problem(
        'state_key',
        `${key} maps every database of an environment to one state key: it must contain {db_name}`,
      );
    if (!key.includes('{environment}'))
      problem(
        'state_key',
        `${key} maps two environments to one state key (dev and prod would share ${fill(key, '*', 'orders')} for a database named orders): it must contain {environment}`,
      );
  }
  const backend = settings.backend_config;
  if (backend === null) problem('backend_config', 'is required with git.layout per-database');
  else if (pathClassifier({ ...settings, backend_config: null })(backend).kind === 'database')
    problem(
      'backend_config',
      `${backend} is inside a database's root; put it beside the roots, e.g. terraform/live/backend.hcl`,
    );
  return problems;
}
