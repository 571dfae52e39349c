/**
 * The cache of parsed trees behind GitRepository.readTree. A tree id names its content forever, so a
 * cached tree is never stale: the cache only has to bound its bytes.
 */
import type { Tree } from './git-objects.js';

/** Parsed trees by id, least recently used first, bounded by their bytes. */
export class TreeCache {
  private readonly trees = new Map<string, Tree>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(oid: string): Tree | undefined {
    const tree = this.trees.get(oid);
    if (tree) {
      this.trees.delete(oid);
      this.trees.set(oid, tree);
    }
    return tree;
  }

  set(oid: string, tree: Tree): void {
    if (this.trees.has(oid)) return;
    this.trees.set(oid, tree);
    this.bytes += tree.raw.length + 64;
    for (const [key, old] of this.trees) {
      if (this.bytes <= this.maxBytes || key === oid) break;
      this.trees.delete(key);
      this.bytes -= old.raw.length + 64;
    }
  }
}
