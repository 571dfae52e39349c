/**
 * Repository contents the simulator serves in this module: DELETE contents/{path} ("Delete a file"), which
 * commits the file's removal on a branch, refusing a stale blob sha as GitHub does (409).
 */
import type { Person, SimRepository } from './repository.js';
import { DOCS, type Endpoints, isoSeconds, message, notFound } from './wire.js';

interface Signed {
  author?: { name: string; email: string; date?: string };
  committer?: { name: string; email: string; date?: string };
}

/** A contents commit's author and committer: as given (dated now when undated), else the authenticated user. */
export function signatures(
  input: Signed,
  person: (date: number) => Person,
): { author: Person; committer: Person } {
  const now = Date.now();
  const committer = input.committer
    ? { ...input.committer, date: input.committer.date ?? isoSeconds(now) }
    : person(now);
  const author = input.author ? { ...input.author, date: input.author.date ?? isoSeconds(now) } : committer;
  return { author, committer };
}

export function contentsEndpoints(repo: SimRepository): Endpoints {
  return {
    'repos/delete-file': ({ params, body, record }) => {
      const path = (params.path as string).replace(/^\/+|\/+$/g, '');
      const input = body as Signed & { message: string; sha: string; branch?: string };
      const docs = `${DOCS}/repos/contents#delete-a-file`;
      const branch = input.branch ?? repo.defaultBranch;
      record.branch = branch.replace(/^refs\/heads\//, '');
      const headSha = repo.branchSha(record.branch);
      if (!headSha) return message(404, `Branch ${branch} not found`, docs);
      const head = repo.commit(headSha) as NonNullable<ReturnType<SimRepository['commit']>>;
      const current = head.files.get(path);
      if (current === undefined) return notFound(docs);
      if (input.sha !== current) return message(409, `${path} does not match ${input.sha}`, docs);
      const files = new Map(head.files);
      files.delete(path);
      const { author, committer } = signatures(input, repo.person);
      const commit = repo.commitOnBranch(record.branch, files, input.message, author, committer);
      return { status: 200, body: { content: null, commit: repo.commitJson(commit) } };
    },
  };
}
