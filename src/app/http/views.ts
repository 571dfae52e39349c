import type { z } from '@hono/zod-openapi';
import type { CostEstimate } from '../../domain/cost.js';
import {
  type AppliedState,
  type DriftState,
  type PlanDatabaseSummary,
  type PlanReport,
  passwordCommand,
} from '../../domain/reports.js';
import type { RequestRecord } from '../../domain/status.js';
import type { PullRequestComment, PullRequestInfo } from '../../ports.js';
import type {
  ConnectionView,
  CostView,
  DriftView,
  PlanDatabaseView,
  PlanView,
  PullRequestCommentView,
  PullRequestView,
  RequestView,
} from './schemas.js';

/**
 * The API's view of a stored request: snake_case, every field present. `connection` is its database's
 * connection details once the request is ready (and the database not retired since).
 */
export function requestView(
  record: RequestRecord,
  connection: AppliedState | null = null,
): z.infer<typeof RequestView> {
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
    // A reason belongs to a failure: a failed apply run again and now ready no longer shows it.
    failure_reason:
      record.status === 'failed' || record.status === 'apply_failed' ? record.failureReason : null,
    merge_commit: record.mergeCommit,
    plan: record.plan ? planView(record.plan) : null,
    cost: record.cost ? costView(record.cost) : null,
    connection: connection ? connectionView(connection) : null,
    history: record.history.map((h) => (h.detail === undefined ? { status: h.status, at: h.at } : { ...h })),
  };
}

/**
 * The connection details a request shows: its database's, once the request is ready (a retired one has
 * none). They may come from a later request of the same database: they say how to reach it now.
 */
export function connectionOf(record: RequestRecord, connection: AppliedState | null): AppliedState | null {
  return record.status === 'ready' && record.kind !== 'retire' ? connection : null;
}

export function planDatabaseView(db: PlanDatabaseSummary): z.infer<typeof PlanDatabaseView> {
  return {
    db_name: db.dbName,
    add: db.add,
    change: db.change,
    destroy: db.destroy,
    replace: db.replace,
    destroyed: db.destroyed,
    replaced: db.replaced,
    database_destroyed: db.databaseDestroyed,
    unexpected: db.unexpected,
  };
}

export function planView(plan: PlanReport): z.infer<typeof PlanView> {
  return {
    commit: plan.commit,
    pull_request: plan.pullRequest,
    reported_at: plan.reportedAt,
    terraform_version: plan.terraformVersion,
    databases: plan.databases.map(planDatabaseView),
    other: plan.other,
    unexpected: plan.databases.some((db) => db.unexpected),
  };
}

export function costView(cost: CostEstimate): z.infer<typeof CostView> {
  return {
    currency: cost.currency,
    region: cost.region,
    monthly: cost.monthly,
    lines: cost.lines,
    before: cost.before,
    difference: cost.difference,
    not_counted: cost.notCounted,
    prices: cost.prices,
  };
}

export function connectionView(applied: AppliedState): z.infer<typeof ConnectionView> {
  const { details } = applied;
  return {
    writer_endpoint: details.writerEndpoint,
    reader_endpoint: details.readerEndpoint,
    port: details.port,
    master_user_secret_arn: details.masterUserSecretArn,
    password_command: details.masterUserSecretArn ? passwordCommand(details.masterUserSecretArn) : null,
    resource_arns: details.resourceArns,
    commit: applied.commit,
    request_id: applied.requestId,
    applied_at: applied.appliedAt,
  };
}

export function driftView(drift: DriftState): z.infer<typeof DriftView> {
  return {
    status: drift.status,
    since: drift.since,
    drifted: drift.drifted,
    pending: drift.pending,
    commit: drift.commit,
    reported_at: drift.reportedAt,
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

export function pullRequestCommentView(comment: PullRequestComment): z.infer<typeof PullRequestCommentView> {
  return { marker: comment.marker, body: comment.body, updated_at: comment.updatedAt };
}
