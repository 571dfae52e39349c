import type { DatabaseReport } from '../domain/reports.js';
import type { AppContext } from './context.js';

/** How often a compare-and-swap of one database's report is tried before giving up. */
const ATTEMPTS = 5;

/**
 * Reads a database's report, lets `next` decide (undefined: leave it as it is), and stores the result
 * only if nobody stored another meanwhile, reading again when someone did. True when it stored one.
 */
export async function updateDatabaseReport(
  ctx: AppContext,
  dbName: string,
  next: (report: DatabaseReport) => DatabaseReport | undefined,
): Promise<boolean> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const report = await ctx.store.databaseReport(dbName);
    const updated = next(report);
    if (!updated) return false;
    if (await ctx.store.putDatabaseReport({ ...updated, version: report.version })) return true;
  }
  throw new Error(`the report of database ${dbName} kept changing under ${ATTEMPTS} attempts; report again`);
}
