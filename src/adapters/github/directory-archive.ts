/**
 * The files of a directory out of a repository archive, as GitHub's tarball endpoint sends it: `git archive`
 * gzipped, every entry under one top directory (`owner-repo-sha7/`), which is stripped. Only regular files
 * under the directory are kept (not directories, symbolic links or anything else), with their blob ids
 * computed as git computes them, since the archive carries none. It streams: files outside the directory
 * pass through without being held, and the bound is checked at each kept file's header, before its content.
 */
import { createHash } from 'node:crypto';
import { createTarDecoder } from 'modern-tar';
import type { DirectoryFile } from '../../ports.js';

/** The id git gives a blob: sha1 of `blob <length>\0` and the content. */
export function gitBlobId(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * Every regular file under `directory` ('' for all) in the gzipped archive, in archive order. Past
 * `limitBytes` of kept files it stops reading and throws what `tooLarge` makes of the bytes counted so far;
 * a malformed or truncated archive throws (strict parsing: a cut download is never a shorter directory).
 */
export async function readDirectoryArchive(
  gzipped: ReadableStream<Uint8Array>,
  directory: string,
  limitBytes: number,
  tooLarge: (bytes: number) => Error,
): Promise<DirectoryFile[]> {
  const prefix = directory ? `${directory}/` : '';
  const entries = gzipped
    .pipeThrough(new DecompressionStream('gzip'))
    .pipeThrough(createTarDecoder({ strict: true }));
  const files: DirectoryFile[] = [];
  let bytes = 0;
  // Leaving the loop early (a throw) cancels the stream, and with it the download.
  for await (const { header, body } of entries) {
    const slash = header.name.indexOf('/');
    const path = slash < 0 ? '' : header.name.slice(slash + 1);
    if (header.type !== 'file' || !path.startsWith(prefix) || path.length === prefix.length) {
      await body.cancel();
      continue;
    }
    bytes += header.size;
    if (bytes > limitBytes) throw tooLarge(bytes);
    const content = new Uint8Array(await new Response(body).arrayBuffer());
    files.push({ path, blob: gitBlobId(content), content: Buffer.from(content).toString('utf8') });
  }
  return files;
}
