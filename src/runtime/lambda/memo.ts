/**
 * The first call's promise, shared by every later call; a rejected one is forgotten, so a container
 * whose start failed (a secret not there yet, a throttled call) tries again on its next invocation.
 */
export function memoRetrying<T>(create: () => Promise<T>): { get: () => Promise<T>; reset: () => void } {
  let pending: Promise<T> | undefined;
  return {
    get: () => {
      pending ??= create().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
    reset: () => {
      pending = undefined;
    },
  };
}
