/**
 * Git objects in-process: hashing, the loose object format, trees and commits. Writing an object here
 * costs a hash and a file, not a process; git reads these files like any object it wrote itself.
 *
 * A loose object is `objects/xx/yyyy…` holding zlib(`<type> <size>\0<body>`), named by the SHA-1 of the
 * uncompressed bytes. Small objects are deflated normally. Large ones (the 10,000-entry tree of
 * terraform/live) are written as *stored* deflate blocks: zlib still frames them and git inflates them
 * like any other, but nothing is compressed, and a tree changed by one entry is written as three slices
 * of the old tree's bytes plus the new entry, with the zlib checksum combined from checksums of the old
 * tree cached per entry boundary. The per-request cost of a large tree is then one SHA-1 pass and one
 * write, not a compression pass.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

export const ZERO_OID = '0'.repeat(40);
export const TREE_MODE = '40000';
export const FILE_MODE = '100644';

const OID_RE = /^[0-9a-f]{40}$/;
export const isOid = (value: string) => OID_RE.test(value);

/** Bodies at least this large are written as stored (uncompressed) deflate blocks. */
const STORED_THRESHOLD = 32 * 1024;
/** zlib header: deflate, 32K window, fastest level, no dictionary; (0x78 * 256 + 0x01) % 31 === 0. */
const ZLIB_HEADER = Buffer.from([0x78, 0x01]);
const MAX_STORED_BLOCK = 0xffff;

// ---------------------------------------------------------------------------------------------------
// Adler-32 (zlib's checksum), with combine and per-range derivation from prefix sums.

const ADLER_MOD = 65521;

export function adler32(buf: Buffer, start = 0, end = buf.length): number {
  let a = 1;
  let b = 0;
  let i = start;
  while (i < end) {
    const stop = Math.min(end, i + 5552);
    for (; i < stop; i++) {
      a += buf[i] as number;
      b += a;
    }
    a %= ADLER_MOD;
    b %= ADLER_MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** The Adler-32 of A followed by B, from the checksums of A and B and B's length (zlib's adler32_combine). */
export function adler32Combine(adlerA: number, adlerB: number, lengthB: number): number {
  const rem = lengthB % ADLER_MOD;
  let sum1 = adlerA & 0xffff;
  let sum2 = (rem * sum1) % ADLER_MOD;
  sum1 += (adlerB & 0xffff) + ADLER_MOD - 1;
  sum2 += ((adlerA >>> 16) & 0xffff) + ((adlerB >>> 16) & 0xffff) + ADLER_MOD - rem;
  if (sum1 >= ADLER_MOD) sum1 -= ADLER_MOD;
  if (sum1 >= ADLER_MOD) sum1 -= ADLER_MOD;
  if (sum2 >= ADLER_MOD * 2) sum2 -= ADLER_MOD * 2;
  if (sum2 >= ADLER_MOD) sum2 -= ADLER_MOD;
  return ((sum2 << 16) | sum1) >>> 0;
}

const mod = (value: number) => ((value % ADLER_MOD) + ADLER_MOD) % ADLER_MOD;

// ---------------------------------------------------------------------------------------------------
// Hashing and writing.

const header = (type: ObjectType, size: number) => Buffer.from(`${type} ${size}\0`, 'latin1');

const totalLength = (pieces: readonly Buffer[]) => pieces.reduce((sum, piece) => sum + piece.length, 0);

export function hashObject(type: ObjectType, body: Buffer | readonly Buffer[]): string {
  const pieces = Buffer.isBuffer(body) ? [body] : body;
  const hash = createHash('sha1').update(header(type, totalLength(pieces)));
  for (const piece of pieces) hash.update(piece);
  return hash.digest('hex');
}

/** A body given as slices, with the Adler-32 of each slice when the caller knows it cheaply. */
export interface ObjectBody {
  pieces: readonly Buffer[];
  adlers?: () => number[];
}

/**
 * Writes loose objects into an `objects` directory the way git does: a temporary file in the object's
 * fan-out directory (`objects/xx/tmp_obj_*`, which `git prune` cleans up after a crash), renamed into
 * place, so a reader sees the whole object or none. An object already present is written again, which
 * also freshens its time against `git gc --prune`. Not fsynced, like git's default (`core.fsync`): a
 * process crash loses nothing written, an OS crash may, as it may lose the SQLite commits.
 */
export class LooseObjectWriter {
  private readonly knownDirs = new Set<string>();
  private counter = 0;
  private readonly tag = `${process.pid}_${randomBytes(4).toString('hex')}`;

  constructor(readonly objectsDir: string) {}

  write(type: ObjectType, body: Buffer | ObjectBody): string {
    const pieces = Buffer.isBuffer(body) ? [body] : body.pieces;
    const size = totalLength(pieces);
    const head = header(type, size);
    const hash = createHash('sha1').update(head);
    for (const piece of pieces) hash.update(piece);
    const oid = hash.digest('hex');

    let chunks: Buffer[];
    if (size < STORED_THRESHOLD) {
      chunks = [deflateSync(Buffer.concat([head, ...pieces]), { level: 1 })];
    } else {
      const adlers =
        Buffer.isBuffer(body) || !body.adlers ? pieces.map((piece) => adler32(piece)) : body.adlers();
      let checksum = adler32(head);
      pieces.forEach((piece, i) => {
        checksum = adler32Combine(checksum, adlers[i] as number, piece.length);
      });
      chunks = storedDeflate([head, ...pieces], checksum);
    }
    this.place(oid, chunks);
    return oid;
  }

  private place(oid: string, chunks: Buffer[]): void {
    const dir = join(this.objectsDir, oid.slice(0, 2));
    if (!this.knownDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.knownDirs.add(dir);
    }
    const tmp = join(dir, `tmp_obj_${this.tag}_${this.counter++}`);
    let fd: number;
    try {
      fd = openSync(tmp, 'wx', 0o444);
    } catch (error) {
      // `git prune` removes fan-out directories it empties.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(dir, { recursive: true });
      fd = openSync(tmp, 'wx', 0o444);
    }
    try {
      writeAll(fd, chunks);
    } catch (error) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw error;
    }
    closeSync(fd);
    try {
      renameSync(tmp, join(dir, oid.slice(2)));
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  }
}

function writeAll(fd: number, chunks: Buffer[]): void {
  let remaining = chunks;
  while (remaining.length > 0) {
    const written =
      remaining.length === 1 ? writeSync(fd, remaining[0] as Buffer) : writevSync(fd, remaining);
    let skip = written;
    const rest: Buffer[] = [];
    for (const chunk of remaining) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
      } else {
        rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
        skip = 0;
      }
    }
    remaining = rest;
  }
}

/** A zlib stream of stored blocks over the slices, without copying them. */
function storedDeflate(pieces: readonly Buffer[], checksum: number): Buffer[] {
  const out: Buffer[] = [ZLIB_HEADER];
  let remaining = totalLength(pieces);
  let pieceIndex = 0;
  let pieceOffset = 0;
  while (remaining > 0) {
    const blockLength = Math.min(MAX_STORED_BLOCK, remaining);
    remaining -= blockLength;
    const blockHeader = Buffer.alloc(5);
    blockHeader[0] = remaining === 0 ? 1 : 0;
    blockHeader.writeUInt16LE(blockLength, 1);
    blockHeader.writeUInt16LE(~blockLength & 0xffff, 3);
    out.push(blockHeader);
    let need = blockLength;
    while (need > 0) {
      const piece = pieces[pieceIndex] as Buffer;
      const take = Math.min(need, piece.length - pieceOffset);
      if (take > 0) out.push(piece.subarray(pieceOffset, pieceOffset + take));
      need -= take;
      pieceOffset += take;
      if (pieceOffset >= piece.length) {
        pieceIndex++;
        pieceOffset = 0;
      }
    }
  }
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(checksum >>> 0, 0);
  out.push(trailer);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Trees.

export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

export class CorruptObjectError extends Error {
  override readonly name = 'CorruptObjectError';
}

const SLASH = 0x2f;

/**
 * A parsed tree, kept as its raw bytes plus entry offsets: parsing a 10,000-entry tree allocates three
 * typed arrays, and finding a name is a binary search in git's tree order (a directory sorts as if its
 * name ended in `/`).
 */
export class Tree {
  /** starts[i]: offset of entry i; starts[length]: raw.length. */
  private readonly starts: Int32Array;
  /** Offset of the NUL that ends entry i's name. */
  private readonly nameEnds: Int32Array;
  private readonly modeEnds: Int32Array;
  /** Adler-32 state (a, b) of raw[0, starts[i]), filled on the first splice of a large tree. */
  private prefixA?: Uint32Array;
  private prefixB?: Uint32Array;

  private constructor(
    readonly raw: Buffer,
    readonly length: number,
    starts: Int32Array,
    nameEnds: Int32Array,
    modeEnds: Int32Array,
  ) {
    this.starts = starts;
    this.nameEnds = nameEnds;
    this.modeEnds = modeEnds;
  }

  static readonly EMPTY = Tree.parse(Buffer.alloc(0));

  static parse(raw: Buffer): Tree {
    let count = 0;
    const starts: number[] = [];
    const nameEnds: number[] = [];
    const modeEnds: number[] = [];
    let at = 0;
    while (at < raw.length) {
      const space = raw.indexOf(0x20, at);
      const nul = space < 0 ? -1 : raw.indexOf(0, space + 1);
      if (space < 0 || nul < 0 || nul + 21 > raw.length || space === at || nul === space + 1) {
        throw new CorruptObjectError('malformed tree object');
      }
      starts.push(at);
      modeEnds.push(space);
      nameEnds.push(nul);
      at = nul + 21;
      count++;
    }
    starts.push(raw.length);
    return new Tree(
      raw,
      count,
      Int32Array.from(starts),
      Int32Array.from(nameEnds),
      Int32Array.from(modeEnds),
    );
  }

  /** Builds a tree from entries in any order. */
  static serialize(entries: readonly TreeEntry[]): Buffer {
    const keyed = entries.map((entry) => ({
      entry,
      key: Buffer.from(entry.mode === TREE_MODE ? `${entry.name}/` : entry.name, 'utf8'),
    }));
    keyed.sort((x, y) => Buffer.compare(x.key, y.key));
    return Buffer.concat(keyed.map(({ entry }) => entryBytes(entry.mode, entry.name, entry.oid)));
  }

  modeAt(i: number): string {
    return this.raw.toString('latin1', this.starts[i], this.modeEnds[i]);
  }

  isTreeAt(i: number): boolean {
    const start = this.starts[i] as number;
    return (this.modeEnds[i] as number) - start === 5 && this.raw[start] === 0x34; // "40000"
  }

  nameAt(i: number): string {
    return this.raw.toString('utf8', (this.modeEnds[i] as number) + 1, this.nameEnds[i]);
  }

  oidAt(i: number): string {
    const nul = this.nameEnds[i] as number;
    return this.raw.toString('hex', nul + 1, nul + 21);
  }

  entries(): TreeEntry[] {
    const out: TreeEntry[] = [];
    for (let i = 0; i < this.length; i++)
      out.push({ mode: this.modeAt(i), name: this.nameAt(i), oid: this.oidAt(i) });
    return out;
  }

  /** The entry named `name` (file or directory). */
  find(name: string): (TreeEntry & { index: number; isTree: boolean }) | undefined {
    for (const asTree of [false, true]) {
      const key = Buffer.from(asTree ? `${name}/` : name, 'utf8');
      const index = this.lowerBound(key);
      if (index < this.length && this.compareAt(index, key) === 0) {
        return { index, mode: this.modeAt(index), name, oid: this.oidAt(index), isTree: asTree };
      }
    }
    return undefined;
  }

  /**
   * The body of this tree with `name` set to (mode, oid): the entry replaced where it is, or inserted in
   * tree order. Returned as slices of this tree's bytes around the new entry.
   */
  with(name: string, mode: string, oid: string): ObjectBody {
    const existing = this.find(name);
    const entry = entryBytes(mode, name, oid);
    if (existing) return this.splice(existing.index, existing.index + 1, entry);
    const cut = this.lowerBound(Buffer.from(mode === TREE_MODE ? `${name}/` : name, 'utf8'));
    return this.splice(cut, cut, entry);
  }

  /** The body of this tree without the entry `name`, as slices of this tree's bytes; null when there is none. */
  without(name: string): ObjectBody | null {
    const existing = this.find(name);
    return existing ? this.splice(existing.index, existing.index + 1, null) : null;
  }

  /** This tree's bytes with entries [cut, resume) replaced by `entry` (or by nothing). */
  private splice(cut: number, resume: number, entry: Buffer | null): ObjectBody {
    const prefix = this.raw.subarray(0, this.starts[cut] as number);
    const suffix = this.raw.subarray(this.starts[resume] as number);
    return {
      pieces: entry ? [prefix, entry, suffix] : [prefix, suffix],
      adlers: () => [
        this.adlerOf(0, cut),
        ...(entry ? [adler32(entry)] : []),
        this.adlerOf(resume, this.length),
      ],
    };
  }

  /** Adler-32 of raw[starts[from], starts[to]) from the prefix sums at entry boundaries. */
  private adlerOf(from: number, to: number): number {
    this.fillPrefixSums();
    const prefixA = this.prefixA as Uint32Array;
    const prefixB = this.prefixB as Uint32Array;
    const length = (this.starts[to] as number) - (this.starts[from] as number);
    const aFrom = prefixA[from] as number;
    const a = mod(1 + (prefixA[to] as number) - aFrom);
    const b = mod(
      (prefixB[to] as number) - (prefixB[from] as number) - (length % ADLER_MOD) * mod(aFrom - 1),
    );
    return ((b << 16) | a) >>> 0;
  }

  private fillPrefixSums(): void {
    if (this.prefixA) return;
    const prefixA = new Uint32Array(this.length + 1);
    const prefixB = new Uint32Array(this.length + 1);
    let a = 1;
    let b = 0;
    prefixA[0] = 1;
    const raw = this.raw;
    for (let i = 0; i < this.length; i++) {
      const end = this.starts[i + 1] as number;
      for (let at = this.starts[i] as number; at < end; at++) {
        a += raw[at] as number;
        b += a;
        if (b > 1e15) {
          a %= ADLER_MOD;
          b %= ADLER_MOD;
        }
      }
      a %= ADLER_MOD;
      b %= ADLER_MOD;
      prefixA[i + 1] = a;
      prefixB[i + 1] = b;
    }
    this.prefixA = prefixA;
    this.prefixB = prefixB;
  }

  private lowerBound(key: Buffer): number {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.compareAt(middle, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Entry i's sort key (name, plus `/` for a directory) against `key`. */
  private compareAt(i: number, key: Buffer): number {
    const nameStart = (this.modeEnds[i] as number) + 1;
    const nameLength = (this.nameEnds[i] as number) - nameStart;
    const isTree = this.isTreeAt(i);
    const common = Math.min(nameLength, key.length);
    const c = this.raw.compare(key, 0, common, nameStart, nameStart + common);
    if (c !== 0) return c;
    if (nameLength > key.length) return 1;
    if (nameLength === key.length) return isTree ? 1 : 0;
    // The name is a proper prefix of the key.
    if (!isTree) return -1;
    const next = key[nameLength] as number;
    if (next !== SLASH) return SLASH < next ? -1 : 1;
    return key.length === nameLength + 1 ? 0 : -1;
  }
}

function entryBytes(mode: string, name: string, oid: string): Buffer {
  return Buffer.concat([Buffer.from(`${mode} ${name}\0`, 'utf8'), Buffer.from(oid, 'hex')]);
}

// ---------------------------------------------------------------------------------------------------
// Commits.

export interface GitIdentity {
  name: string;
  email: string;
}

const IDENT_FORBIDDEN = /[<>\n\0]/;

export function assertValidIdentity(identity: GitIdentity): void {
  if (
    identity.name.trim() === '' ||
    identity.email.trim() === '' ||
    IDENT_FORBIDDEN.test(identity.name) ||
    IDENT_FORBIDDEN.test(identity.email) ||
    identity.name !== identity.name.trim() ||
    identity.email !== identity.email.trim()
  ) {
    throw new Error(`invalid git identity: ${JSON.stringify(identity)}`);
  }
}

/** `Name <email> <seconds> +0000`: times in UTC. */
export function formatIdent(identity: GitIdentity, at: Date): string {
  return `${identity.name} <${identity.email}> ${Math.floor(at.getTime() / 1000)} +0000`;
}

export interface CommitSpec {
  tree: string;
  parents: readonly string[];
  author: GitIdentity;
  committer: GitIdentity;
  at: Date;
  message: string;
}

export function formatCommit(spec: CommitSpec): Buffer {
  const lines = [`tree ${spec.tree}`, ...spec.parents.map((parent) => `parent ${parent}`)];
  lines.push(
    `author ${formatIdent(spec.author, spec.at)}`,
    `committer ${formatIdent(spec.committer, spec.at)}`,
  );
  const message = spec.message.endsWith('\n') ? spec.message : `${spec.message}\n`;
  return Buffer.from(`${lines.join('\n')}\n\n${message}`, 'utf8');
}

export interface CommitHeader {
  tree: string;
  parents: string[];
}

export function parseCommit(raw: Buffer): CommitHeader {
  const end = raw.indexOf('\n\n');
  const headerText = raw.toString('utf8', 0, end < 0 ? raw.length : end);
  let tree: string | undefined;
  const parents: string[] = [];
  for (const line of headerText.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
  }
  if (!tree || !isOid(tree)) throw new CorruptObjectError('commit without a tree');
  return { tree, parents };
}

// ---------------------------------------------------------------------------------------------------
// Names.

/** A repository path git accepts and `git fsck --strict` does not flag. */
export function isValidRepositoryPath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.endsWith('/')) return false;
  if (/[\0\n\r]/.test(path)) return false;
  return path
    .split('/')
    .every((part) => part !== '' && part !== '.' && part !== '..' && part.toLowerCase() !== '.git');
}
