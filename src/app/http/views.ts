import type { z } from '@hono/zod-openapi';
import type { RequestRecord } from '../../domain/status.js';
import type { PullRequestInfo } from '../../ports.js';
import type { PullRequestView, RequestView } from './schemas.js';

/** The API's view of a stored request: snake_case, every field present. */
export function requestView(record: RequestRecord): z.infer<typeof RequestView> {
  return {
    request_id: record.id,
    kind: record.kind,
    status: record.status,
    step: record.step,
    db_name: record.request.db_name,
    engine: record.request.engine,
    environment: record.request.environment,
    requester: record.requester,
    request: record.request,
    change: record.change,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    attempts: record.attempts,
    pull_request: record.pullRequest,
    failure_reason: record.failureReason,
    history: record.history.map((h) => (h.detail === undefined ? { status: h.status, at: h.at } : { ...h })),
  };
}

export function pullRequestView(pr: PullRequestInfo): z.infer<typeof PullRequestView> {
  return {
    number: pr.number,
    title: pr.title,
    branch: pr.branch,
    base: pr.base,
    state: pr.state,
    request_id: pr.requestId,
    url: pr.url,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    merge_commit: pr.mergeCommit,
  };
}
