import { dbNameFromBranch } from '../domain/naming.js';
import type { AppContext } from './context.js';

/** A check run or commit status on a pull request's head: CI's plan, reported to the requester. */
export interface CheckEvent {
  branches: string[];
  /** Stable for one result, so a replayed delivery is recognised: e.g. `check run "plan" #42 completed: success`. */
  detail: string;
  at: Date;
}

/**
 * Adds the event to the history of the request in flight for the branch's database. A replay (the
 * same detail already there) changes nothing; an event for any other branch is ignored.
 */
export async function applyCheckEvent(ctx: AppContext, event: CheckEvent): Promise<string | null> {
  for (const branch of event.branches) {
    const dbName = dbNameFromBranch(branch, ctx.conventions);
    if (!dbName) continue;
    const id = await ctx.store.inFlight(dbName);
    if (!id) continue;
    const record = await ctx.store.get(id);
    if (!record || record.history.some((h) => h.detail === event.detail)) return null;
    await ctx.store.note(id, event.at, event.detail);
    ctx.logger.info('check recorded', { request_id: id, detail: event.detail });
    return id;
  }
  return null;
}
