/**
 * The simulator's repository as its resource modules see it: commits, blobs and trees to read, and one way
 * to commit on a branch.
 */
import type { FileMode, TreeStore } from './git-objects.js';

export interface Person {
  name: string;
  email: string;
  date: string;
}

export interface Commit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: Person;
  committer: Person;
  /** Path -> blob sha. */
  files: Map<string, string>;
  /** Path -> mode, for the files that are not plain (100644) ones. */
  modes: ReadonlyMap<string, FileMode>;
}

export interface SimRepository {
  owner: string;
  name: string;
  defaultBranch: string;
  /** The repository's API URL (`http://127.0.0.1:PORT/repos/OWNER/REPO`). */
  apiUrl(): string;
  /** The repository's web address (`https://github.com/OWNER/REPO`). */
  htmlUrl(): string;
  /** An account as GitHub's "Simple User" (a login ending in [bot] is a Bot). */
  user(login: string): unknown;
  blobs: ReadonlyMap<string, Buffer>;
  trees: TreeStore;
  /** Most entries a recursive tree listing holds before GitHub marks it truncated. */
  treeEntryLimit: number;
  branchSha(name: string): string | undefined;
  /** A branch name, full ref, `heads/x` or commit sha -> commit. */
  resolveRef(ref: string): Commit | undefined;
  commit(sha: string): Commit | undefined;
  /** Commits these files on top of the branch's head and moves the branch there. */
  commitOnBranch(
    branch: string,
    files: Map<string, string>,
    message: string,
    author: Person,
    committer: Person,
  ): Commit;
  /** Stores a blob; its sha (POST git/trees with inline content). */
  storeBlob(content: string | Uint8Array): string;
  /** A commit of these files on these parents, moving no branch (POST git/commits). */
  makeCommit(
    files: Map<string, string>,
    modes: ReadonlyMap<string, FileMode>,
    parents: string[],
    message: string,
    author: Person,
    committer: Person,
  ): Commit;
  /** The authenticated user, signing at `date` (epoch milliseconds; now by default). */
  person(date?: number): Person;
  /** A commit as the contents endpoints answer it ("File Commit"'s `commit`). */
  commitJson(commit: Commit): unknown;
}
