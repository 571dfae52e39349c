import { firstLine, runGit } from './git-process.js';

/** A checkout could not be made: names the git step and git's reason. */
export class GitCheckoutError extends Error {
  override name = 'GitCheckoutError';
}

/**
 * A working tree of one commit of a repository at `dir` (which must not exist yet), with its own git
 * directory: a clone that borrows the repository's objects (`--shared`) rather than copying them, so it
 * is quick, and nothing is written to the repository itself. Removing `dir` removes every trace.
 */
export async function checkoutCommit(repository: string, commit: string, dir: string): Promise<void> {
  const clone = await runGit(['clone', '--quiet', '--shared', '--no-checkout', '--', repository, dir]);
  if (clone.code !== 0) throw new GitCheckoutError(`git clone: ${firstLine(clone.stderr)}`);
  const checkout = await runGit(
    ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', commit],
    {
      cwd: dir,
    },
  );
  if (checkout.code !== 0)
    throw new GitCheckoutError(`git checkout ${commit}: ${firstLine(checkout.stderr)}`);
}
