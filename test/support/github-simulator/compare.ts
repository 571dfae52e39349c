/**
 * Comparing two commits, served in this module: GET compare/{basehead} ("Compare two commits", `BASE...HEAD`,
 * each a branch or a commit sha). As GitHub documents it: `status` is identical, ahead (HEAD has commits
 * BASE lacks and none the other way), behind, or diverged; `commits` lists what HEAD has beyond the merge
 * base, oldest first (up to 250 without pagination; with `page` or `per_page`, one page, and the changed
 * files on the first page only, up to 300 for the whole comparison); 404 for a ref the repository does not
 * have, and for two histories without a common ancestor.
 */
import type { Commit, Person, SimRepository } from './repository.js';
import { DOCS, type Endpoints, message, nodeId, notFound } from './wire.js';

const MAX_UNPAGED_COMMITS = 250;
const MAX_FILES = 300;

export function compareEndpoints(repo: SimRepository): Endpoints {
  const docs = `${DOCS}/commits/commits#compare-two-commits`;

  /** Every commit reachable from `sha`, itself included. */
  function ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const queue = [sha];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(repo.commit(next)?.parents ?? []));
    }
    return seen;
  }

  /** A commit's generation: 1 for a root, else one more than its highest parent's (parents come first). */
  const generations = new Map<string, number>();
  function generation(sha: string): number {
    const stack = [sha];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as string;
      if (generations.has(top)) {
        stack.pop();
        continue;
      }
      const parents = repo.commit(top)?.parents ?? [];
      const pending = parents.filter((p) => !generations.has(p));
      if (pending.length > 0) stack.push(...pending);
      else {
        generations.set(top, 1 + Math.max(0, ...parents.map((p) => generations.get(p) as number)));
        stack.pop();
      }
    }
    return generations.get(sha) as number;
  }

  /** The common ancestor nearest the two (the highest generation): git's merge base for linear merges. */
  function mergeBase(base: string, head: string): Commit | undefined {
    const ofBase = ancestors(base);
    const shared = [...ancestors(head)].filter((sha) => ofBase.has(sha));
    const nearest = shared.sort((a, b) => generation(b) - generation(a))[0];
    return nearest === undefined ? undefined : repo.commit(nearest);
  }

  const gitUser = (p: Person) => ({ name: p.name, email: p.email, date: p.date });

  function commitJson(commit: Commit) {
    const api = `${repo.apiUrl()}/commits/${commit.sha}`;
    const github = (p: Person) => (p.name === repo.person().name ? repo.user(p.name) : null);
    return {
      url: api,
      sha: commit.sha,
      node_id: nodeId('06:Commit', commit.sha),
      html_url: `${repo.htmlUrl()}/commit/${commit.sha}`,
      comments_url: `${api}/comments`,
      commit: {
        url: `${repo.apiUrl()}/git/commits/${commit.sha}`,
        author: gitUser(commit.author),
        committer: gitUser(commit.committer),
        message: commit.message,
        comment_count: 0,
        tree: { sha: commit.tree, url: `${repo.apiUrl()}/git/trees/${commit.tree}` },
        verification: {
          verified: false,
          reason: 'unsigned',
          signature: null,
          payload: null,
          verified_at: null,
        },
      },
      author: github(commit.author),
      committer: github(commit.committer),
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${repo.apiUrl()}/commits/${sha}`,
        html_url: `${repo.htmlUrl()}/commit/${sha}`,
      })),
    };
  }

  const lines = (sha: string | undefined) => {
    const text = sha ? (repo.blobs.get(sha)?.toString('utf8') ?? '') : '';
    return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  };

  function files(from: Commit, to: Commit, ref: string) {
    const paths = [...new Set([...from.files.keys(), ...to.files.keys()])]
      .filter((path) => from.files.get(path) !== to.files.get(path))
      .sort();
    return paths.slice(0, MAX_FILES).map((filename) => {
      const before = from.files.get(filename);
      const after = to.files.get(filename);
      const status = before === undefined ? 'added' : after === undefined ? 'removed' : 'modified';
      const additions = lines(after);
      const deletions = lines(before);
      const path = filename.split('/').map(encodeURIComponent).join('/');
      return {
        sha: after ?? before ?? null,
        filename,
        status,
        additions,
        deletions,
        changes: additions + deletions,
        blob_url: `${repo.htmlUrl()}/blob/${to.sha}/${path}`,
        raw_url: `${repo.htmlUrl()}/raw/${to.sha}/${path}`,
        contents_url: `${repo.apiUrl()}/contents/${path}?ref=${encodeURIComponent(ref)}`,
      };
    });
  }

  return {
    'repos/compare-commits-with-basehead': ({ params, query }) => {
      const basehead = params.basehead as string;
      const split = /^(.+?)\.{2,3}(.+)$/.exec(basehead);
      if (!split) return notFound(docs);
      const [, baseRef, headRef] = split as unknown as [string, string, string];
      const base = repo.resolveRef(baseRef);
      const head = repo.resolveRef(headRef);
      if (!base || !head) return notFound(docs);
      const common = mergeBase(base.sha, head.sha);
      if (!common) return message(404, `No common ancestor between ${baseRef} and ${headRef}.`, docs);

      const ofBase = ancestors(base.sha);
      const ofHead = ancestors(head.sha);
      const ahead = [...ofHead]
        .filter((sha) => !ofBase.has(sha))
        .map((sha) => repo.commit(sha) as Commit)
        // Oldest first: parents before their children.
        .sort((a, b) => generation(a.sha) - generation(b.sha));
      const behindBy = [...ofBase].filter((sha) => !ofHead.has(sha)).length;
      const status =
        ahead.length === 0 && behindBy === 0
          ? 'identical'
          : behindBy === 0
            ? 'ahead'
            : ahead.length === 0
              ? 'behind'
              : 'diverged';

      const paged = query.has('page') || query.has('per_page');
      const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30)));
      const page = Math.max(1, Number(query.get('page') ?? 1));
      const listed = paged
        ? ahead.slice((page - 1) * perPage, page * perPage)
        : ahead.slice(0, MAX_UNPAGED_COMMITS);

      const html = `${repo.htmlUrl()}/compare/${basehead}`;
      return {
        status: 200,
        body: {
          url: `${repo.apiUrl()}/compare/${basehead}`,
          html_url: html,
          permalink_url: `${repo.htmlUrl()}/compare/${repo.owner}:${base.sha}...${repo.owner}:${head.sha}`,
          diff_url: `${html}.diff`,
          patch_url: `${html}.patch`,
          base_commit: commitJson(base),
          merge_base_commit: commitJson(common),
          status,
          ahead_by: ahead.length,
          behind_by: behindBy,
          total_commits: ahead.length,
          commits: listed.map(commitJson),
          ...(!paged || page === 1 ? { files: files(common, head, headRef) } : {}),
        },
      };
    },
  };
}
