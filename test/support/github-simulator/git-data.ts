/**
 * Git data the simulator serves in this module: GET git/trees/{tree_sha} (a tree by its sha, or a commit's or
 * branch's tree; with `recursive`, every entry below it, truncated past the entry limit as GitHub truncates
 * large trees) and GET git/blobs/{file_sha} (base64 content).
 */
import type { SimRepository } from './repository.js';
import { base64Lines, DOCS, type Endpoints, nodeId, notFound } from './wire.js';

export function gitDataEndpoints(repo: SimRepository): Endpoints {
  const blobUrl = (sha: string) => `${repo.apiUrl()}/git/blobs/${sha}`;
  const treeUrl = (sha: string) => `${repo.apiUrl()}/git/trees/${sha}`;
  return {
    'git/get-tree': ({ params, query }) => {
      const ref = params.tree_sha as string;
      const tree = repo.trees.has(ref) ? ref : repo.resolveRef(ref)?.tree;
      if (!tree) return notFound(`${DOCS}/git/trees#get-a-tree`);
      // GitHub: any value of `recursive` ("0" and "false" too) lists recursively; only its absence does not.
      const recursive = query.has('recursive');
      const { entries, truncated } = repo.trees.list(
        tree,
        recursive,
        recursive ? repo.treeEntryLimit : undefined,
      );
      return {
        status: 200,
        body: {
          sha: tree,
          url: treeUrl(tree),
          tree: entries.map((entry) =>
            entry.type === 'blob'
              ? { ...entry, size: repo.blobs.get(entry.sha)?.length ?? 0, url: blobUrl(entry.sha) }
              : { ...entry, url: treeUrl(entry.sha) },
          ),
          truncated,
        },
      };
    },

    'git/get-blob': ({ params }) => {
      const sha = params.file_sha as string;
      const bytes = repo.blobs.get(sha);
      if (!bytes) return notFound(`${DOCS}/git/blobs#get-a-blob`);
      return {
        status: 200,
        body: {
          sha,
          node_id: nodeId('04:Blob', sha),
          size: bytes.length,
          url: blobUrl(sha),
          content: base64Lines(bytes),
          encoding: 'base64',
        },
      };
    },
  };
}
