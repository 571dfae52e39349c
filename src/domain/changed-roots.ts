import { posix } from 'node:path';
import { type LayoutSettings, layoutDirectory, type PathRole, pathClassifier } from './layout.js';

/**
 * Which Terraform roots a change touches, by the layout: what the pipelines plan on a pull request and
 * apply on merge. Pure: the caller lists the changed paths (git diff --name-status, exact renames) and the files at
 * the head; nothing here runs git.
 */

export type PathChange =
  | { status: 'added' | 'modified' | 'deleted'; path: string }
  | { status: 'renamed'; from: string; path: string };

export interface Root {
  /** The directory Terraform runs in. */
  root: string;
  /** Null for the single root, which holds every environment. */
  environment: string | null;
  dbName: string | null;
}

export interface ChangedRoots {
  /** Roots to plan (and apply on merge) from the head: each exists there. */
  plan: Root[];
  /** Roots gone at the head, to destroy from their last state with the configuration of the base. */
  destroy: Root[];
  /** A shared file changed (the module, the backend file): `plan` holds every root at the head. */
  everything: boolean;
  /** Why the change cannot be planned as it is; the pipelines stop and print these. */
  problems: string[];
}

type DatabaseRole = Extract<PathRole, { kind: 'database' }>;
const rootOf = ({ root, environment, dbName }: DatabaseRole): Root => ({ root, environment, dbName });

/** A database cannot change environment: its account, state and approval rule all come from it. */
const moveProblem = (dbName: string | null, from: string, to: string, fromPath: string, toPath: string) =>
  `${dbName} cannot move from ${from} to ${to} (${fromPath} to ${toPath}): a database stays in its environment; retire it and request it in ${to}`;

/**
 * The directories whose files at the head changedRoots needs for these changes: only the touched roots'
 * (whether each still has its main file), unless a shared file changed and every root is planned (then
 * the whole layout directory); none for the single root. A change to one root of a large fleet then
 * reads one root, not the fleet.
 */
export function directoriesToList(changes: readonly PathChange[], layout: LayoutSettings): string[] {
  if (layout.layout === 'single-root') return [];
  const classify = pathClassifier(layout);
  const roots = new Set<string>();
  for (const change of changes) {
    for (const path of change.status === 'renamed' ? [change.from, change.path] : [change.path]) {
      const role = classify(path);
      if (role.kind === 'shared') return [layoutDirectory(layout)];
      if (role.kind === 'database') roots.add(role.root);
    }
  }
  return [...roots].sort();
}

/**
 * @param changes the changed paths between the base (merge base) and the head
 * @param filesAtHead file paths at the head: at least those under directoriesToList(changes, layout)
 * @param environments the policy's environments: a root in any other is refused (unknown: not checked)
 */
export function changedRoots(
  changes: readonly PathChange[],
  layout: LayoutSettings,
  filesAtHead: Iterable<string>,
  environments?: readonly string[],
): ChangedRoots {
  const classify = pathClassifier(layout);
  if (layout.layout === 'single-root') return singleRoot(changes, layout, classify);

  const fileName = posix.basename(layout.file);
  const isMainFile = (path: string, root: string) => path === `${root}/${fileName}`;
  const atHead = new Map<string, Root>();
  const mainFileSuffix = `/${fileName}`;
  const otherFiles: string[] = [];
  for (const path of filesAtHead) {
    if (!path.endsWith(mainFileSuffix)) {
      otherFiles.push(path);
      continue;
    }
    const role = classify(path);
    if (role.kind === 'database' && isMainFile(path, role.root)) atHead.set(role.root, rootOf(role));
  }

  const plan = new Map<string, Root>();
  const destroy = new Map<string, Root>();
  /** Roots whose main file the change adds: only these can be the far end of a move. */
  const created = new Map<string, Root>();
  const problems: string[] = [];
  let everything = false;

  const touch = (path: string, how: 'added' | 'modified' | 'deleted') => {
    const removed = how === 'deleted';
    const role = classify(path);
    if (role.kind === 'shared') everything = true;
    // Deleting a stray file leaves every root as it was (the migration from the single root does it).
    else if (role.kind === 'stray' && !removed) problems.push(role.reason);
    else if (role.kind === 'database') {
      const root = rootOf(role);
      if (atHead.has(role.root)) {
        plan.set(role.root, root);
        if (how === 'added' && isMainFile(path, role.root)) created.set(role.root, root);
      } else if (removed || isMainFile(path, role.root)) destroy.set(role.root, root);
      else problems.push(`${path} is in ${role.root}, which has no ${fileName}: remove the directory whole`);
    }
  };

  for (const change of changes) {
    if (change.status !== 'renamed') {
      touch(change.path, change.status);
      continue;
    }
    const from = classify(change.from);
    const to = classify(change.path);
    // A database's main file renamed into another root would move or rename the database; other files
    // moving between roots change both roots, no more.
    if (
      from.kind === 'database' &&
      to.kind === 'database' &&
      from.root !== to.root &&
      isMainFile(change.from, from.root)
    ) {
      problems.push(
        from.dbName === to.dbName
          ? moveProblem(from.dbName, from.environment, to.environment, change.from, change.path)
          : `${change.from} is renamed to ${change.path}: that would destroy ${from.dbName} and create ${to.dbName}; a database keeps its name`,
      );
      continue;
    }
    touch(change.from, 'deleted');
    touch(change.path, 'added');
  }

  // A name is one database: the same name destroyed in one environment and created in another is a move.
  const createdByName = new Map([...created.values()].map((r) => [r.dbName, r]));
  for (const gone of destroy.values()) {
    const moved = createdByName.get(gone.dbName);
    if (moved)
      problems.push(
        moveProblem(
          gone.dbName,
          gone.environment as string,
          moved.environment as string,
          gone.root,
          moved.root,
        ),
      );
  }

  // A root being destroyed goes whole: files left in its directory would be a root without its main file.
  if (destroy.size > 0) {
    const leftIn = new Map<string, string>();
    for (const path of otherFiles) {
      const role = classify(path);
      if (role.kind === 'database' && destroy.has(role.root) && !leftIn.has(role.root))
        leftIn.set(role.root, path);
    }
    for (const [root, path] of leftIn)
      problems.push(
        `${root} has no ${fileName} at the head but still holds ${path}: remove the directory whole`,
      );
  }

  const planned = everything ? [...atHead.values()] : [...plan.values()];
  // A root's environment gives its account and whether it waits for approval: one the policy does not
  // configure has neither, so the pipelines must not run it as if it were dev.
  if (environments) {
    const known = new Set(environments);
    for (const r of [...planned, ...destroy.values()]) {
      if (!known.has(r.environment as string))
        problems.push(
          `${r.root} is in environment ${r.environment}, which the policy does not configure (${environments.join(', ')}): no account to run it in and no rule for whether it waits for approval`,
        );
    }
  }

  const byRoot = (a: Root, b: Root) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0);
  return {
    plan: planned.sort(byRoot),
    destroy: [...destroy.values()].sort(byRoot),
    everything,
    // Sorted, like the roots: the same change gives the same answer whatever order git lists it in.
    problems: [...new Set(problems)].sort(),
  };
}

/** One root holds every database: any change to it or to the module plans it, and it is never destroyed. */
function singleRoot(
  changes: readonly PathChange[],
  layout: LayoutSettings,
  classify: ReturnType<typeof pathClassifier>,
): ChangedRoots {
  const root = posix.dirname(layout.file);
  const touched = changes.some(
    (c) =>
      classify(c.path).kind === 'shared' || (c.status === 'renamed' && classify(c.from).kind === 'shared'),
  );
  return {
    plan: touched ? [{ root, environment: null, dbName: null }] : [],
    destroy: [],
    everything: touched,
    problems: [],
  };
}
