/**
 * The repository the local runtime writes to when no `--repo` is given: `<data-dir>/infra`. Created
 * bare, with one commit on `main` holding the rds module and terraform/live as the policy's layout wants
 * it, so generated files have a module to call (and, in the single root, providers and networks). An
 * existing repository is used as it is.
 *
 * Bare, because nothing is checked out there: the service moves `main` when it merges, and a checkout of
 * `main` would look as if someone had reverted every merge. Engineers `git clone` it, look, and push to
 * it like any remote.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type LayoutKind, MODULE_DIR } from '../../domain/layout.js';
import { GitHostError } from '../../ports.js';
import { locateRepository } from './git-location.js';
import {
  assertValidIdentity,
  FILE_MODE,
  formatCommit,
  type GitIdentity,
  LooseObjectWriter,
  TREE_MODE,
  Tree,
  type TreeEntry,
  ZERO_OID,
} from './git-objects.js';
import { runGit } from './git-process.js';

export interface InfraRepositoryOptions {
  /** The package root: its terraform/modules/rds and terraform/live are copied into the first commit. */
  sourceDir: string;
  /** The policy's `git.layout`: the single root also gets its own files (providers, backend, networks). */
  layout: LayoutKind;
  /** Author and committer of the first commit. */
  author: GitIdentity;
  /** The first commit's time; now by default. */
  now?: Date;
  /** The branch of the first commit; `main` by default. */
  branch?: string;
}

export interface InfraRepository {
  path: string;
  created: boolean;
}

/** A directory of the package copied into a new repository: `from` the source directory, `to` the repository. */
export interface SeededDirectory {
  from: string;
  to: string;
  /** Which of the directory's own entries to copy (by name); all when absent. */
  only?: (name: string) => boolean;
}

/**
 * What a new repository starts with for a layout. Per-database: the module and terraform/live (its README
 * and the shared backend.hcl; each database brings its own root). Single root: what
 * terraform/layouts/single-root/README.md says to set up by hand: the root's own .tf and .tfvars files
 * copied into terraform/live, without backend.hcl (only per-database roots read it). Kept apart in the
 * package so per-database setups do not get a root that nothing uses.
 */
export function seededDirectories(layout: LayoutKind): SeededDirectory[] {
  const module = { from: MODULE_DIR, to: MODULE_DIR };
  if (layout === 'per-database') return [module, { from: 'terraform/live', to: 'terraform/live' }];
  return [
    module,
    { from: 'terraform/live', to: 'terraform/live', only: (name) => name !== 'backend.hcl' },
    {
      from: 'terraform/layouts/single-root',
      to: 'terraform/live',
      only: (name) => /\.(tf|tfvars)$/.test(name),
    },
  ];
}

/** Left out of the copy: what `terraform init`/`apply` leave behind in a source checkout. */
export const SKIPPED = (name: string) =>
  name === '.terraform' || name === '.DS_Store' || /\.tfstate(\..*)?$/.test(name) || name === 'crash.log';

/**
 * Makes sure a git repository is at `path`. When there is none, creates a bare one whose first commit on
 * `main` holds copies of the source's seeded directories for the layout, written as git objects
 * (no working tree). It is built in a sibling directory and renamed into place, so a crash leaves either
 * nothing or the finished repository. A non-empty directory that is not a repository is refused.
 */
export async function ensureInfraRepository(
  path: string,
  options: InfraRepositoryOptions,
): Promise<InfraRepository> {
  const target = resolve(path);
  assertValidIdentity(options.author);
  if (await locateRepository(target)) return { path: target, created: false };
  if (!isMissingOrEmptyDirectory(target)) {
    throw new GitHostError(`${target} exists, is not empty and is not a git repository`, 'permanent');
  }

  const branch = options.branch ?? 'main';
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.${basename(target)}.init-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const init = await runGit(['init', '--quiet', '--bare', `--initial-branch=${branch}`, staging], {
      cwd: parent,
    });
    if (init.code !== 0) throw new GitHostError(`git init failed: ${init.stderr.trim()}`, 'permanent');

    const writer = new LooseObjectWriter(join(staging, 'objects'));
    const root = new DirectoryNode();
    for (const { from, to, only } of seededDirectories(options.layout)) {
      const source = join(options.sourceDir, from);
      if (!lstatSafe(source)?.isDirectory()) {
        throw new GitHostError(`${source} is missing: cannot seed the repository`, 'permanent');
      }
      collect(source, root.dir(to.split('/')), writer, only);
    }
    const tree = root.write(writer);
    const commit = writer.write(
      'commit',
      formatCommit({
        tree,
        parents: [],
        author: options.author,
        committer: options.author,
        at: options.now ?? new Date(),
        message:
          options.layout === 'single-root'
            ? 'Terraform: the rds module and the live root\n\n' +
              'terraform/modules/rds is the module every generated file calls; terraform/live is the root they land in.\n'
            : 'Terraform: the rds module and the shared live settings\n\n' +
              'terraform/modules/rds is the module every generated root calls; terraform/live holds the roots, one per database, and the backend settings they share.\n',
      }),
    );
    const ref = await runGit(
      [`--git-dir=${staging}`, 'update-ref', `refs/heads/${branch}`, commit, ZERO_OID],
      {
        cwd: staging,
      },
    );
    if (ref.code !== 0) throw new GitHostError(`git update-ref failed: ${ref.stderr.trim()}`, 'permanent');

    try {
      renameSync(staging, target);
    } catch (error) {
      // Someone else created it meanwhile (another process bootstrapping, or a person).
      if (await locateRepository(target)) return { path: target, created: false };
      throw new GitHostError(`cannot create ${target}: ${(error as Error).message}`, 'permanent');
    }
    return { path: target, created: true };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function lstatSafe(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function isMissingOrEmptyDirectory(path: string): boolean {
  const stat = lstatSafe(path);
  if (!stat) return true;
  return stat.isDirectory() && readdirSync(path).length === 0;
}

class DirectoryNode {
  readonly children = new Map<string, DirectoryNode | TreeEntry>();

  dir(parts: readonly string[]): DirectoryNode {
    let node: DirectoryNode = this;
    for (const part of parts) {
      let next = node.children.get(part);
      if (!(next instanceof DirectoryNode)) {
        next = new DirectoryNode();
        node.children.set(part, next);
      }
      node = next;
    }
    return node;
  }

  write(writer: LooseObjectWriter): string {
    const entries: TreeEntry[] = [];
    for (const [name, child] of this.children) {
      if (child instanceof DirectoryNode) {
        if (child.children.size > 0) entries.push({ mode: TREE_MODE, name, oid: child.write(writer) });
      } else {
        entries.push(child);
      }
    }
    return writer.write('tree', Tree.serialize(entries));
  }
}

function collect(
  source: string,
  into: DirectoryNode,
  writer: LooseObjectWriter,
  only: (name: string) => boolean = () => true,
): void {
  for (const name of readdirSync(source).sort()) {
    if (SKIPPED(name) || !only(name)) continue;
    const file = join(source, name);
    const stat = lstatSync(file);
    if (stat.isDirectory()) {
      collect(file, into.dir([name]), writer);
    } else if (stat.isFile()) {
      const mode = stat.mode & 0o111 ? '100755' : FILE_MODE;
      into.children.set(name, { mode, name, oid: writer.write('blob', readFileSync(file)) });
    } else if (stat.isSymbolicLink()) {
      into.children.set(name, {
        mode: '120000',
        name,
        oid: writer.write('blob', Buffer.from(readlinkSync(file))),
      });
    }
  }
}
