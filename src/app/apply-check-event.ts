import { dbNameFromAnyBranch } from '../domain/naming.js';
import { stepBranches } from '../domain/pull-request-match.js';
import type { AppContext } from './context.js';

/** A check run or commit status on a pull request's head: CI's plan, reported to the requester. */
export interface CheckEvent {
  branches: string[];
  /** Stable for one result, so a replayed delivery is recognised: e.g. `check run "plan" #42 completed: success`. */
  detail: string;
  at: Date;
}

/** The request whose history the event joined, or why it joined none. */
export type CheckEventResult = { requestId: string; refused?: undefined } | { refused: string };

/**
 * Adds the event to the history of the request in flight whose branch the event is on. A replay (the
 * same detail already there) changes nothing; an event on any other branch is ignored.
 */
export async function applyCheckEvent(ctx: AppContext, event: CheckEvent): Promise<CheckEventResult> {
  for (const branch of event.branches) {
    const dbName = dbNameFromAnyBranch(branch, ctx.conventions);
    if (!dbName) continue;
    const id = await ctx.store.inFlight(dbName);
    if (!id) continue;
    const record = await ctx.store.get(id);
    if (!record || !stepBranches(record, ctx.conventions).includes(branch)) continue;
    if (record.history.some((h) => h.detail === event.detail))
      return { refused: 'a replay: already recorded' };
    await ctx.store.note(id, event.at, event.detail);
    ctx.logger.info('check recorded', { request_id: id, detail: event.detail });
    return { requestId: id };
  }
  return { refused: 'no request in flight on the branch' };
}
