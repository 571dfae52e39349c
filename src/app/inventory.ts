import { databaseFileMatcher, layoutDirectory } from '../domain/layout.js';
import type { Deployment, Engine, Size } from '../domain/request.js';
import { type DatabaseFile, readDatabaseFile } from '../render/read-database-file.js';
import type { AppContext } from './context.js';

/** One database the base branch holds, as its file says. */
export interface InventoryEntry {
  dbName: string;
  /** From the file's path or its header; null for a foreign file that names none. */
  environment: string | null;
  path: string;
  file: DatabaseFile;
}

export interface InventoryFilter {
  environment?: string;
  engine?: Engine;
  owner?: string;
}

export interface InventoryPage {
  entries: InventoryEntry[];
  /** The db_name to start the next page after; null on the last page. */
  next: string | null;
}

export interface DatabaseSettings {
  engine: Engine | null;
  deployment: Deployment | null;
  engineVersion: string | null;
  size: Size | null;
  instances: number | null;
  owner: string | null;
  tags: Record<string, string>;
}

/** An entry's settings; unknown (null) for a file the service cannot read back. */
export function settingsOf(entry: InventoryEntry): DatabaseSettings {
  const { file } = entry;
  if (file.kind !== 'generated')
    return {
      engine: null,
      deployment: null,
      engineVersion: null,
      size: null,
      instances: null,
      owner: null,
      tags: {},
    };
  const { spec, request } = file;
  return {
    engine: spec.engine,
    deployment: spec.deployment,
    engineVersion: spec.engineVersion,
    size: spec.size,
    instances: spec.instances,
    owner: spec.owner,
    tags: request.tags ?? {},
  };
}

/** More files than this missing from the cache are read in one GitHost.readDirectory, fewer blob by blob. */
const BULK_READ_AFTER = 32;

/**
 * The databases on the base branch, read from its files (git is the source of truth). A file is read
 * once per content: entries are cached by blob id, and the sorted list by the base's head commit, so a
 * page of 10,000 databases costs what a page of 10 does once the base has been read.
 */
export class Inventory {
  private readonly byBlob = new Map<string, DatabaseFile>();
  private snapshot: { commit: string; entries: InventoryEntry[] } | null = null;
  /** Snapshots being built, by commit: reads that arrive meanwhile share the build. */
  private readonly building = new Map<string, Promise<InventoryEntry[]>>();

  constructor(private readonly maxCachedFiles = 100_000) {}

  async page(
    ctx: AppContext,
    filter: InventoryFilter,
    limit: number,
    after?: string,
  ): Promise<InventoryPage> {
    const all = await this.entries(ctx);
    let start = 0;
    if (after !== undefined) {
      // Binary search: entries are sorted by name.
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((all[mid] as InventoryEntry).dbName <= after) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const entries: InventoryEntry[] = [];
    let i = start;
    for (; i < all.length && entries.length < limit; i++) {
      const entry = all[i] as InventoryEntry;
      if (matches(entry, filter)) entries.push(entry);
    }
    let more = false;
    for (; i < all.length; i++) {
      if (matches(all[i] as InventoryEntry, filter)) {
        more = true;
        break;
      }
    }
    return { entries, next: more && entries.length > 0 ? (entries.at(-1) as InventoryEntry).dbName : null };
  }

  /** Every database file on the base's head, sorted by name. */
  async entries(ctx: AppContext): Promise<InventoryEntry[]> {
    const { conventions, git } = ctx;
    const commit = await git.headOf(conventions.base);
    if (!commit) return [];
    if (this.snapshot?.commit === commit) return this.snapshot.entries;
    let build = this.building.get(commit);
    if (!build) {
      build = this.build(ctx, commit).finally(() => this.building.delete(commit));
      this.building.set(commit, build);
    }
    return build;
  }

  private async build(ctx: AppContext, commit: string): Promise<InventoryEntry[]> {
    const { conventions, git } = ctx;
    const match = databaseFileMatcher(conventions);
    const directory = layoutDirectory(conventions);
    const listed = (await git.listFiles(commit, directory)).flatMap((file) => {
      const found = match(file.path);
      return found ? [{ ...file, found }] : [];
    });
    // Many files never read (a cold start): one bulk read of the directory, not one call per file.
    const unread = listed.filter(({ blob }) => !this.byBlob.has(blob)).length;
    const bulk =
      unread > BULK_READ_AFTER
        ? new Map((await git.readDirectory(commit, directory)).map((file) => [file.path, file]))
        : undefined;
    const entries: InventoryEntry[] = [];
    for (const { path, blob, found } of listed) {
      let file = this.byBlob.get(blob);
      if (!file) {
        // The bulk read's blob id vouches for its content: a file it lacks or holds otherwise (an archive's
        // export-ignore or export-subst) is read by its blob.
        const read = bulk?.get(path);
        const content = read?.blob === blob ? read.content : await git.readBlob(blob);
        file = readDatabaseFile(content, path, conventions);
        if (this.byBlob.size >= this.maxCachedFiles) this.byBlob.clear();
        this.byBlob.set(blob, file);
      }
      const environment = found.environment ?? (file.kind === 'generated' ? file.spec.environment : null);
      entries.push({ dbName: found.dbName, environment, path, file });
    }
    entries.sort((a, b) => (a.dbName < b.dbName ? -1 : a.dbName > b.dbName ? 1 : a.path < b.path ? -1 : 1));
    this.snapshot = { commit, entries };
    return entries;
  }
}

function matches(entry: InventoryEntry, filter: InventoryFilter): boolean {
  if (filter.environment !== undefined && entry.environment !== filter.environment) return false;
  if (filter.engine === undefined && filter.owner === undefined) return true;
  if (entry.file.kind !== 'generated') return false;
  const { spec } = entry.file;
  if (filter.engine !== undefined && spec.engine !== filter.engine) return false;
  if (filter.owner !== undefined && spec.owner !== filter.owner) return false;
  return true;
}
