/**
 * Issue comments the simulator serves in this module (a pull request is an issue, and its conversation is
 * issue comments): GET issues/{issue_number}/comments ("List issue comments": oldest first, `since`, pages
 * with a Link header), POST issues/{issue_number}/comments ("Create an issue comment", written by the
 * authenticated account) and PATCH issues/comments/{comment_id} ("Update an issue comment": only its author
 * may, here as on GitHub for an account without admin rights). A body past GitHub's 65,536 characters is
 * refused with 422.
 */
import type { SimRepository } from './repository.js';
import { DOCS, type Endpoints, isoSeconds, message, nodeId, notFound, validationFailed } from './wire.js';

/** GitHub's bound on a comment body, in characters. */
const MAX_BODY = 65_536;

export interface SimComment {
  id: number;
  issue: number;
  body: string;
  /** The login of the account that wrote it. */
  author: string;
  createdAt: string;
  updatedAt: string;
}

/** The repository's issue comments, in creation order. */
export class IssueCommentStore {
  private readonly comments: SimComment[] = [];

  constructor(private readonly nextId: () => number) {}

  add(issue: number, body: string, author: string, at = Date.now()): SimComment {
    const when = isoSeconds(at);
    const comment = { id: this.nextId(), issue, body, author, createdAt: when, updatedAt: when };
    this.comments.push(comment);
    return comment;
  }

  of(issue: number): SimComment[] {
    return this.comments.filter((c) => c.issue === issue);
  }

  byId(id: number): SimComment | undefined {
    return this.comments.find((c) => c.id === id);
  }
}

export interface IssueCommentsContext {
  /** Whether the repository has an issue (here: a pull request) with this number. */
  hasIssue(number: number): boolean;
  /** The head branch of the pull request, for the per-branch counters. */
  branchOf(number: number): string | undefined;
  /** The login of the authenticated account: the token's user, or a GitHub App's bot. */
  login: string;
  /** An account as GitHub's "Simple User" (a login ending in [bot] is a Bot). */
  user(login: string): unknown;
  /** The app the authenticated account is the bot of, as GitHub's "Integration"; null for a user. */
  app(): unknown | null;
}

const tooLong = (body: unknown, docs: string) =>
  typeof body === 'string' && [...body].length > MAX_BODY
    ? validationFailed(
        [
          {
            resource: 'IssueComment',
            field: 'body',
            code: 'custom',
            message: `body is too long (maximum is ${MAX_BODY} characters)`,
          },
        ],
        docs,
      )
    : undefined;

export function issueCommentEndpoints(
  repo: SimRepository,
  store: IssueCommentStore,
  ctx: IssueCommentsContext,
): Endpoints {
  const json = (c: SimComment) => {
    const url = `${repo.apiUrl()}/issues/comments/${c.id}`;
    return {
      id: c.id,
      node_id: nodeId('012:IssueComment', c.id),
      url,
      html_url: `${repo.htmlUrl()}/pull/${c.issue}#issuecomment-${c.id}`,
      body: c.body,
      user: ctx.user(c.author),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      issue_url: `${repo.apiUrl()}/issues/${c.issue}`,
      author_association: c.author === ctx.login ? 'CONTRIBUTOR' : 'NONE',
      performed_via_github_app: c.author === ctx.login ? ctx.app() : null,
      reactions: {
        url: `${url}/reactions`,
        total_count: 0,
        '+1': 0,
        '-1': 0,
        laugh: 0,
        confused: 0,
        heart: 0,
        hooray: 0,
        eyes: 0,
        rocket: 0,
      },
    };
  };

  return {
    'issues/list-comments': ({ params, query, record }) => {
      const issue = Number(params.issue_number);
      if (!ctx.hasIssue(issue)) return notFound(`${DOCS}/issues/comments#list-issue-comments`);
      record.branch = ctx.branchOf(issue);
      const since = query.get('since');
      const list = store
        .of(issue)
        .filter((c) => since === null || c.updatedAt >= isoSeconds(Date.parse(since)));
      const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30)));
      const page = Math.max(1, Number(query.get('page') ?? 1));
      const last = Math.max(1, Math.ceil(list.length / perPage));
      const headers: Record<string, string> = {};
      if (list.length > perPage) {
        const link = (p: number, rel: string) => {
          const q = new URLSearchParams(query);
          q.set('page', String(p));
          return `<${repo.apiUrl()}/issues/${issue}/comments?${q}>; rel="${rel}"`;
        };
        const parts: string[] = [];
        if (page < last) parts.push(link(page + 1, 'next'), link(last, 'last'));
        if (page > 1) parts.push(link(1, 'first'), link(page - 1, 'prev'));
        headers.link = parts.join(', ');
      }
      const slice = list.slice((page - 1) * perPage, page * perPage);
      return { status: 200, body: slice.map(json), headers };
    },

    'issues/create-comment': ({ params, body, record }) => {
      const docs = `${DOCS}/issues/comments#create-an-issue-comment`;
      const issue = Number(params.issue_number);
      if (!ctx.hasIssue(issue)) return notFound(docs);
      record.branch = ctx.branchOf(issue);
      const text = (body as { body: string }).body;
      const refused = tooLong(text, docs);
      if (refused) return refused;
      const comment = store.add(issue, text, ctx.login);
      return { status: 201, body: json(comment), headers: { location: json(comment).url } };
    },

    'issues/update-comment': ({ params, body, record }) => {
      const docs = `${DOCS}/issues/comments#update-an-issue-comment`;
      const comment = store.byId(Number(params.comment_id));
      if (!comment) return notFound(docs);
      record.branch = ctx.branchOf(comment.issue);
      // GitHub lets an account without admin rights edit only its own comments (403 otherwise).
      if (comment.author !== ctx.login)
        return { ...message(403, 'Must have admin rights to Repository.', docs), anywhere: true };
      const text = (body as { body: string }).body;
      const refused = tooLong(text, docs);
      if (refused) return refused;
      comment.body = text;
      comment.updatedAt = isoSeconds(Date.now());
      return { status: 200, body: json(comment) };
    },
  };
}
