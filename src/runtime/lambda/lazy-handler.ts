import { memoRetrying } from './memo.js';
import { sourceMappedStack } from './source-mapped-stack.js';

/**
 * A Lambda handler whose code is imported on the first invocation (and again after a failed import).
 *
 * Each function's entry (api.ts, worker.ts, reconcile.ts) is this alone, so a cold container's init
 * loads one small file; the function's code, its AWS SDK clients and Powertools come with the first
 * event, in the chunks the build splits them into (scripts/build-lambda.mjs). Nothing is skipped: the
 * first invocation pays what init paid before, and the benchmark's cold request shows it (BENCHMARKS.md,
 * section 5). What a route does not use, it does not load at all (the GitHub client, see services.ts).
 *
 * An error that escapes the handler leaves with its stack in source positions, for the runtime's log.
 */
export function lazyHandler<Event, Context, Result>(
  load: () => Promise<{ handler: (event: Event, context: Context) => Promise<Result> }>,
): (event: Event, context: Context) => Promise<Result> {
  const loaded = memoRetrying(load);
  return async (event, context) => {
    try {
      return await (await loaded.get()).handler(event, context);
    } catch (error) {
      if (error instanceof Error && error.stack) error.stack = sourceMappedStack(error.stack);
      throw error;
    }
  };
}
