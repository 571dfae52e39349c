/**
 * Reading refs from the files git keeps them in (loose refs, then packed-refs), as git does, without
 * starting git.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GitHostError } from '../../ports.js';
import type { RepositoryLocation } from './git-location.js';
import { isOid } from './git-objects.js';

export class RefReader {
  private packed: { key: string; refs: Map<string, string> } | null = null;

  constructor(private readonly location: RepositoryLocation) {}

  /**
   * The object a full ref name points at, read from the ref files as git does (the loose ref, then
   * packed-refs; a concurrent `git pack-refs` writes packed-refs before deleting loose refs, so this
   * order never misses a ref). Not through `git cat-file`: a revision like `refs/heads/x-gbeef` that
   * names no ref would fall back to git's describe syntax and resolve to whatever object starts "beef".
   */
  readRef(name: string, depth = 0): string | null {
    let text: string;
    try {
      text = readFileSync(join(this.location.commonDir, name), 'latin1').trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return this.packedRef(name);
      throw this.fsError(`cannot read ${name}`, error);
    }
    if (isOid(text)) return text;
    if (text.startsWith('ref: ') && depth < 5) return this.readRef(text.slice(5).trim(), depth + 1);
    throw new GitHostError(`ref ${name} is corrupt`, 'permanent');
  }

  private packedRef(name: string): string | null {
    const file = join(this.location.commonDir, 'packed-refs');
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw this.fsError('cannot read packed-refs', error);
      if (!existsSync(this.location.commonDir)) {
        throw new GitHostError(`${this.location.path}: the repository is gone`, 'permanent');
      }
      return null;
    }
    const key = `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
    if (this.packed?.key !== key) {
      const refs = new Map<string, string>();
      let content: string;
      try {
        content = readFileSync(file, 'latin1');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw this.fsError('cannot read packed-refs', error);
      }
      for (const line of content.split('\n')) {
        if (line.length > 41 && line[40] === ' ' && !line.startsWith('#'))
          refs.set(line.slice(41), line.slice(0, 40));
      }
      this.packed = { key, refs };
    }
    return this.packed.refs.get(name) ?? null;
  }

  private fsError(message: string, error: unknown): GitHostError {
    const gone = !existsSync(this.location.commonDir);
    return new GitHostError(`${message}: ${(error as Error).message}`, gone ? 'permanent' : 'transient');
  }
}
