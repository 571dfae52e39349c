import { chmodSync } from 'node:fs';

/** Modes for what the service keeps on disk (requests, their history, the API token): the owner's only. */
export const OWNER_ONLY = { dir: 0o700, file: 0o600 } as const;

/**
 * Makes an existing file owner-only; a missing one is left missing. Files kept from an earlier run, or
 * created under a loose umask, keep their mode until someone changes it, so every start does.
 */
export function keepFileOwnerOnly(path: string): void {
  try {
    chmodSync(path, OWNER_ONLY.file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
