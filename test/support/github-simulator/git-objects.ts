/**
 * Git's object ids, as git computes them, and the trees of a commit: every directory a tree object kept by
 * its sha, so that GET git/trees can answer for a commit, a root tree or any subtree.
 */
import { createHash } from 'node:crypto';

/** The sha git gives a blob: sha1("blob <length>\0" + content), as `git hash-object` computes it. */
export function gitBlobSha(content: string | Uint8Array): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function gitObjectSha(type: string, body: Buffer): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}

/** A file's mode in a tree: a plain file, an executable one, or a symbolic link (whose blob is its target). */
export type FileMode = '100644' | '100755' | '120000';

export interface TreeEntry {
  name: string;
  mode: FileMode | '040000';
  type: 'blob' | 'tree';
  sha: string;
}

/** An entry of a listing: `path` relative to the tree listed. */
export interface ListedEntry extends Omit<TreeEntry, 'name'> {
  path: string;
}

interface Dir {
  files: Map<string, { sha: string; mode: FileMode }>;
  dirs: Map<string, Dir>;
}

/** Tree objects by sha. Trees never change, so one made twice is stored once. */
export class TreeStore {
  private readonly trees = new Map<string, TreeEntry[]>();

  /**
   * Stores the trees of these files (path -> blob sha; `modes`: path -> mode, 100644 when absent), nested
   * directories included; the root's sha.
   */
  add(files: ReadonlyMap<string, string>, modes: ReadonlyMap<string, FileMode> = new Map()): string {
    const root: Dir = { files: new Map(), dirs: new Map() };
    for (const [path, sha] of files) {
      const parts = path.split('/');
      let dir = root;
      for (const part of parts.slice(0, -1)) {
        let next = dir.dirs.get(part);
        if (!next) {
          next = { files: new Map(), dirs: new Map() };
          dir.dirs.set(part, next);
        }
        dir = next;
      }
      dir.files.set(parts[parts.length - 1] as string, { sha, mode: modes.get(path) ?? '100644' });
    }
    return this.store(root);
  }

  has(sha: string): boolean {
    return this.trees.has(sha);
  }

  /**
   * A tree's entries in git's order; `recursive`: every entry below it too, each tree before its contents
   * (what `git ls-tree -r -t` prints), stopping after `limit` entries.
   */
  list(
    sha: string,
    recursive: boolean,
    limit = Number.POSITIVE_INFINITY,
  ): { entries: ListedEntry[]; truncated: boolean } {
    const entries: ListedEntry[] = [];
    const walk = (tree: string, prefix: string): boolean => {
      for (const { name, ...entry } of this.trees.get(tree) ?? []) {
        if (entries.length >= limit) return false;
        entries.push({ ...entry, path: `${prefix}${name}` });
        if (recursive && entry.type === 'tree' && !walk(entry.sha, `${prefix}${name}/`)) return false;
      }
      return true;
    };
    return { entries, truncated: !walk(sha, '') };
  }

  private store(dir: Dir): string {
    // git orders entries by name, a directory's name compared as if it ended in '/'.
    const entries: (TreeEntry & { key: string })[] = [];
    for (const [name, { sha, mode }] of dir.files) entries.push({ key: name, name, mode, type: 'blob', sha });
    for (const [name, sub] of dir.dirs) {
      entries.push({ key: `${name}/`, name, mode: '040000', type: 'tree', sha: this.store(sub) });
    }
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    // In the object itself git writes a tree's mode without its leading zero.
    const body = Buffer.concat(
      entries.flatMap((e) => [
        Buffer.from(`${e.type === 'tree' ? '40000' : e.mode} ${e.name}\0`),
        Buffer.from(e.sha, 'hex'),
      ]),
    );
    const sha = gitObjectSha('tree', body);
    if (!this.trees.has(sha))
      this.trees.set(
        sha,
        entries.map(({ key: _key, ...entry }) => entry),
      );
    return sha;
  }
}
