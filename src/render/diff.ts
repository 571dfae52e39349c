import { createTwoFilesPatch } from 'diff';

/**
 * A unified diff of one file, as `git diff` shows it: what a reviewer will see in the pull request,
 * shown before anything is submitted. '' for `after` is the file removed.
 */
export function unifiedDiff(path: string, before: string, after: string): string {
  const to = after === '' ? '/dev/null' : `b/${path}`;
  return createTwoFilesPatch(`a/${path}`, to, before, after, undefined, undefined, { context: 3 })
    .split('\n')
    .slice(1) // the "====" separator line jsdiff writes first
    .join('\n');
}
