import { pullRequestMismatch } from '../domain/pull-request-match.js';
import type { RequestRecord } from '../domain/status.js';
import { recordAudit } from './audit.js';
import type { AppContext } from './context.js';
import { databaseOnBase } from './current-database.js';

export interface PullRequestEvent {
  requestId: string;
  action: 'merged' | 'closed';
  number: number;
  /** The branch the pull request merges from: it must be the request's. */
  headBranch: string;
  /** Merged: the base branch commit it merged as, recorded for the pipeline's apply report. */
  mergeCommit?: string;
  at: Date;
  /**
   * Who merged or closed it where the host reports it (GitHub's webhook: `github:LOGIN`): the event is
   * recorded in the audit as theirs when it settles the request, so a redelivery (or a replay) that changes
   * nothing records nothing. Absent for the local host, whose routes record the reviewer themselves, and
   * for start-up replays.
   */
  reportedBy?: string;
}

export type PullRequestEventResult =
  | { changed: boolean; record: RequestRecord; refused?: undefined }
  /** Nothing changed, and why: no such request, or the pull request is not the request's. */
  | { changed: false; refused: string };

/**
 * A pull request was merged or closed (a local review, or GitHub's webhook). It settles the request its
 * marker names only when it is that request's pull request for its current step (see
 * pullRequestMismatch). A retirement whose merged pull request left the database's file on the base
 * (it lifted deletion protection) moves on to its next step instead. Replays and late events change
 * nothing: the status store refuses moves backwards, out of a terminal status, or to a step twice.
 */
export async function applyPullRequestEvent(
  ctx: AppContext,
  event: PullRequestEvent,
): Promise<PullRequestEventResult> {
  const current = await ctx.store.get(event.requestId);
  if (!current) return { changed: false, refused: 'no request with that id' };
  const mismatch = pullRequestMismatch(current, event, ctx.conventions);
  if (mismatch) return { changed: false, refused: mismatch };
  const detail = `pull request #${event.number} ${event.action}`;
  const merge = event.action === 'merged' && event.mergeCommit ? { mergeCommit: event.mergeCommit } : {};
  if (current.kind === 'retire' && event.action === 'merged' && (await stillOnBase(ctx, current))) {
    const result = await ctx.intake.advance(
      event.requestId,
      { status: current.status, step: current.step },
      {
        at: event.at,
        detail: `${detail}: deletion protection lifted; the removal comes next`,
        ...merge,
      },
    );
    if (!result) return { changed: false, refused: 'no request with that id' };
    if (result.changed) {
      ctx.logger.info(`${detail}, next step queued`, { request_id: event.requestId });
      await recordReported(ctx, event, result.record);
    }
    return result;
  }
  const result = await ctx.store.transition(event.requestId, event.action, {
    at: event.at,
    detail,
    ...merge,
  });
  if (!result) return { changed: false, refused: 'no request with that id' };
  if (result.changed) {
    ctx.logger.info(detail, { request_id: event.requestId });
    await recordReported(ctx, event, result.record);
  }
  return result;
}

/** A merge or close the host reported, in the audit as whoever it names: once, when it settled the request. */
async function recordReported(ctx: AppContext, event: PullRequestEvent, record: RequestRecord) {
  if (event.reportedBy === undefined) return;
  await recordAudit(ctx, {
    actor: event.reportedBy,
    action: event.action === 'merged' ? 'pull.merge' : 'pull.close',
    outcome: 'allowed',
    target: `pull:${event.number}`,
    environment: record.request.environment,
    detail: `pull request #${event.number} ${event.action} on the host, request ${record.id}`,
  });
}

async function stillOnBase(ctx: AppContext, record: RequestRecord): Promise<boolean> {
  return (await databaseOnBase(ctx, record.request.db_name)) !== undefined;
}
