import { type LayoutSettings, pathClassifier } from './layout.js';

/**
 * Which Terraform roots a change touches, by the layout: what the pipelines plan on a pull request and
 * apply on merge. Pure: the caller lists the changed paths (git diff --name-status -M) and the files at
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

/**
 * @param changes the changed paths between the base (merge base) and the head
 * @param filesAtHead every file path at the head under the layout's directories (at least each root's file)
 */
export function changedRoots(
  changes: readonly PathChange[],
  layout: LayoutSettings,
  filesAtHead: Iterable<string>,
): ChangedRoots {
  const classify = pathClassifier(layout);
  if (layout.layout === 'single-root') return singleRoot(changes, layout, classify);

  const fileName = layout.file.slice(layout.file.lastIndexOf('/') + 1);
  const atHead = new Map<string, Root>();
  for (const path of filesAtHead) {
    const role = classify(path);
    if (role.kind === 'database' && path === `${role.root}/${fileName}`)
      atHead.set(role.root, { root: role.root, environment: role.environment, dbName: role.dbName });
  }

  const plan = new Map<string, Root>();
  const destroy = new Map<string, Root>();
  const problems: string[] = [];
  let everything = false;

  const touch = (path: string, removed: boolean) => {
    const role = classify(path);
    if (role.kind === 'shared') everything = true;
    else if (role.kind === 'stray') problems.push(role.reason);
    else if (role.kind === 'database') {
      const root = { root: role.root, environment: role.environment, dbName: role.dbName };
      if (atHead.has(role.root)) plan.set(role.root, root);
      else if (removed || path === `${role.root}/${fileName}`) destroy.set(role.root, root);
      else problems.push(`${path} is in ${role.root}, which has no ${fileName}: remove the directory whole`);
    }
  };

  for (const change of changes) {
    if (change.status !== 'renamed') {
      touch(change.path, change.status === 'deleted');
      continue;
    }
    const from = classify(change.from);
    const to = classify(change.path);
    if (from.kind === 'database' && to.kind === 'database' && from.root !== to.root) {
      problems.push(
        from.dbName === to.dbName
          ? `${from.dbName} cannot move from ${from.environment} to ${to.environment} (${change.from} to ${change.path}): a database stays in its environment; retire it and request it in ${to.environment}`
          : `${change.from} is renamed to ${change.path}: that would destroy ${from.dbName} and create ${to.dbName}; a database keeps its name`,
      );
      continue;
    }
    touch(change.from, true);
    touch(change.path, false);
  }

  // A name is one database: the same name destroyed in one environment and planned in another is a move.
  const planned = new Map([...plan.values()].map((r) => [r.dbName, r]));
  for (const gone of destroy.values()) {
    const moved = planned.get(gone.dbName);
    if (moved)
      problems.push(
        `${gone.dbName} cannot move from ${gone.environment} to ${moved.environment} (${gone.root} to ${moved.root}): a database stays in its environment; retire it and request it in ${moved.environment}`,
      );
  }

  const byRoot = (a: Root, b: Root) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0);
  return {
    plan: (everything ? [...atHead.values()] : [...plan.values()]).sort(byRoot),
    destroy: [...destroy.values()].sort(byRoot),
    everything,
    problems: [...new Set(problems)],
  };
}

/** One root holds every database: any change to it or to the module plans it, and it is never destroyed. */
function singleRoot(
  changes: readonly PathChange[],
  layout: LayoutSettings,
  classify: ReturnType<typeof pathClassifier>,
): ChangedRoots {
  const root = layout.file.slice(0, layout.file.lastIndexOf('/'));
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
