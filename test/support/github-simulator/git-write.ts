/**
 * Git data the simulator writes in this module, as init-repo --github uses it: POST git/trees (entries
 * with inline `content` or a blob `sha`, on an optional `base_tree`; `sha: null` removes a path) and POST
 * git/commits (a commit of a stored tree on given parents, moving no branch). GitHub answers 422 for a
 * base tree, tree or parent it does not have, as here.
 */

import { signatures } from './contents.js';
import type { FileMode } from './git-objects.js';
import type { SimRepository } from './repository.js';
import { DOCS, type Endpoints, message } from './wire.js';

interface TreeInput {
  path: string;
  mode: FileMode | '040000' | '160000';
  type: 'blob' | 'tree' | 'commit';
  sha?: string | null;
  content?: string;
}

/** The files of a stored tree: path -> blob sha, and the modes that are not 100644. */
function filesOf(repo: SimRepository, tree: string) {
  const files = new Map<string, string>();
  const modes = new Map<string, FileMode>();
  for (const entry of repo.trees.list(tree, true).entries) {
    if (entry.type !== 'blob') continue;
    files.set(entry.path, entry.sha);
    if (entry.mode !== '100644') modes.set(entry.path, entry.mode as FileMode);
  }
  return { files, modes };
}

export function gitWriteEndpoints(repo: SimRepository): Endpoints {
  const treeUrl = (sha: string) => `${repo.apiUrl()}/git/trees/${sha}`;
  return {
    'git/create-tree': ({ body }) => {
      const input = body as { base_tree?: string; tree: TreeInput[] };
      const docs = `${DOCS}/git/trees#create-a-tree`;
      if (input.base_tree !== undefined && !repo.trees.has(input.base_tree))
        return message(422, 'base_tree is not a valid tree oid', docs);
      const { files, modes } = input.base_tree
        ? filesOf(repo, input.base_tree)
        : { files: new Map<string, string>(), modes: new Map<string, FileMode>() };
      for (const entry of input.tree) {
        const path = entry.path.replace(/^\/+|\/+$/g, '');
        if (entry.type !== 'blob' || entry.mode === '040000' || entry.mode === '160000')
          return message(422, `the simulator takes blob entries only, got ${entry.type} at ${path}`, docs);
        if (entry.sha === null) {
          files.delete(path);
          continue;
        }
        if (entry.content !== undefined && entry.sha !== undefined)
          return message(422, 'Only one of sha or content may be given per entry', docs);
        const sha = entry.content !== undefined ? repo.storeBlob(entry.content) : entry.sha;
        if (sha === undefined || !repo.blobs.has(sha))
          return message(422, `tree.sha ${sha} is not a valid blob`, docs);
        files.set(path, sha);
        if (entry.mode === '100644') modes.delete(path);
        else modes.set(path, entry.mode);
      }
      const sha = repo.trees.add(files, modes);
      const { entries, truncated } = repo.trees.list(sha, false);
      return {
        status: 201,
        body: {
          sha,
          url: treeUrl(sha),
          tree: entries.map((entry) => ({ ...entry, url: treeUrl(entry.sha) })),
          truncated,
        },
        headers: { location: treeUrl(sha) },
      };
    },

    'git/create-commit': ({ body }) => {
      const input = body as {
        message: string;
        tree: string;
        parents?: string[];
        author?: { name: string; email: string; date?: string };
        committer?: { name: string; email: string; date?: string };
      };
      const docs = `${DOCS}/git/commits#create-a-commit`;
      if (!repo.trees.has(input.tree)) return message(422, 'Tree SHA does not exist', docs);
      const parents = input.parents ?? [];
      if (parents.some((sha) => repo.commit(sha) === undefined))
        return message(422, 'Parent SHA does not exist or is not a commit object', docs);
      const { files, modes } = filesOf(repo, input.tree);
      const { author, committer } = signatures(input, repo.person);
      const commit = repo.makeCommit(files, modes, parents, input.message, author, committer);
      return {
        status: 201,
        body: repo.commitJson(commit),
        headers: { location: `${repo.apiUrl()}/git/commits/${commit.sha}` },
      };
    },
  };
}
