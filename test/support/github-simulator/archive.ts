/**
 * Repository archives the simulator serves in this module: GET tarball/{ref} ("Download a repository archive
 * (tar)"), which answers 302 to codeload, and codeload itself, a server of its own on another port: another
 * origin, as codeload.github.com is to api.github.com, so a client that follows the redirect must drop the
 * API's Authorization header (fetch does). Codeload serves `/{owner}/{repo}/legacy.tar.gz/{ref}?token=…`: the
 * token in the URL is the grant (GitHub's last five minutes), and an Authorization header sent there is the
 * API token leaving the API, recorded as a problem.
 *
 * The archive is what `git archive --format=tar.gz` makes of the commit, as GitHub sends it: everything under
 * `{owner}-{repo}-{sha7}/`, a pax global header naming the commit, the commit's time on every entry, git's
 * default tar.umask (002: directories and executables 0775, files 0664, links 0777), owned by root. It is
 * streamed: a client that stops reading stops the packing.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { createTarPacker, type TarHeader } from 'modern-tar';
import type { Commit, SimRepository } from './repository.js';
import { DOCS, type Endpoints, notFound } from './wire.js';

const GRANT_MS = 5 * 60_000;
const TOKEN_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Bytes of a blob handed to the packer at a time, so that its backpressure holds. */
const SLICE = 1024 * 1024;

export interface Codeload {
  /** `http://127.0.0.1:PORT`: the origin redirects point at. */
  url: string;
  /** A download URL for the commit the ref names, good for five minutes. */
  grant(ref: string, commit: Commit): string;
  stop(): Promise<void>;
}

/** Starts codeload; `problems` hears what a client should not have sent; `onDownload` each archive served. */
export async function startCodeload(
  repo: SimRepository,
  problems: string[],
  onDownload: () => void,
): Promise<Codeload> {
  const grants = new Map<string, { ref: string; commit: Commit; until: number }>();
  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      problems.push(`codeload crashed on ${req.url}: ${error instanceof Error ? error.stack : error}`);
      res.destroy();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://codeload.invalid');
    if (req.headers.authorization !== undefined) {
      problems.push(
        `codeload ${req.method} ${url.pathname} was sent an Authorization header: the API token must not leave the API`,
      );
    }
    const match = /^\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/(.+)$/.exec(url.pathname);
    const grant = grants.get(url.searchParams.get('token') ?? '');
    if (
      req.method !== 'GET' ||
      !match ||
      match[1] !== repo.owner ||
      match[2] !== repo.name ||
      !grant ||
      grant.until < Date.now() ||
      decodeURIComponent(match[3] as string) !== grant.ref
    ) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('404: Not Found');
      return;
    }
    onDownload();
    res.writeHead(200, {
      'content-type': 'application/x-gzip',
      'content-disposition': `attachment; filename=${topDirectory(repo, grant.commit)}.tar.gz`,
    });
    await sendArchive(repo, grant.commit, res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    grant(ref, commit) {
      // Shaped like GitHub's: 29 capital letters and digits.
      const token = Array.from(randomBytes(29), (byte) => TOKEN_CHARACTERS[byte % 36]).join('');
      grants.set(token, { ref, commit, until: Date.now() + GRANT_MS });
      const path = ref.split('/').map(encodeURIComponent).join('/');
      return `${url}/${repo.owner}/${repo.name}/legacy.tar.gz/${path}?token=${token}`;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function archiveEndpoints(repo: SimRepository, codeload: Codeload): Endpoints {
  return {
    'repos/download-tarball-archive': ({ params, record }) => {
      const ref = params.ref as string;
      const commit = repo.resolveRef(ref);
      if (!commit) return notFound(`${DOCS}/repos/contents#download-a-repository-archive-tar`);
      if (repo.branchSha(ref)) record.branch = ref;
      return { status: 302, headers: { location: codeload.grant(ref, commit) } };
    },
  };
}

const topDirectory = (repo: SimRepository, commit: Commit) =>
  `${repo.owner}-${repo.name}-${commit.sha.slice(0, 7)}`;

/** Packs the commit as git archive does and sends it gzipped; a client gone midway ends it quietly. */
async function sendArchive(repo: SimRepository, commit: Commit, res: ServerResponse): Promise<void> {
  const { readable, controller } = createTarPacker();
  const sent = pipeline(Readable.fromWeb(readable as never), createGzip(), res);
  const owner = {
    uid: 0,
    gid: 0,
    uname: 'root',
    gname: 'root',
    mtime: new Date(Date.parse(commit.committer.date)),
  };
  const put = async (header: TarHeader, body?: Uint8Array) => {
    const writer = controller.add({ ...owner, ...header }).getWriter();
    for (let at = 0; body && at < body.length; at += SLICE) await writer.write(body.subarray(at, at + SLICE));
    await writer.close();
  };
  try {
    const comment = Buffer.from(`52 comment=${commit.sha}\n`);
    await put(
      { name: 'pax_global_header', type: 'pax-global-header', size: comment.length, mode: 0o666 },
      comment,
    );
    const top = `${topDirectory(repo, commit)}/`;
    await put({ name: top, type: 'directory', size: 0, mode: 0o775 });
    for (const entry of repo.trees.list(commit.tree, true).entries) {
      const name = `${top}${entry.path}`;
      const blob = repo.blobs.get(entry.sha) as Buffer;
      if (entry.type === 'tree') await put({ name: `${name}/`, type: 'directory', size: 0, mode: 0o775 });
      else if (entry.mode === '120000') {
        await put({ name, type: 'symlink', size: 0, linkname: blob.toString('utf8'), mode: 0o777 });
      } else
        await put(
          { name, type: 'file', size: blob.length, mode: entry.mode === '100755' ? 0o775 : 0o664 },
          blob,
        );
    }
    controller.finalize();
  } catch (error) {
    controller.error(error);
  }
  await sent.catch(() => undefined);
}
