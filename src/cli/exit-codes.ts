import { describeIssues } from '../domain/policy.js';
import type { FieldIssue } from '../domain/request.js';

/** Exit codes every command shares (README documents them). */
export const EXIT = {
  ok: 0,
  error: 1,
  invalid: 2,
  conflict: 3,
  failed: 4,
} as const;

/** An error the CLI reports as lines on stderr with a chosen exit code; never a stack trace. */
export class CliError extends Error {
  constructor(
    readonly lines: string[],
    readonly exitCode: number,
  ) {
    super(lines.join('\n'));
    this.name = 'CliError';
  }
}

/** Invalid input: one `field: reason` line per problem, exit 2. */
export const invalidInput = (issues: readonly FieldIssue[]) =>
  new CliError(describeIssues(issues).split('\n'), EXIT.invalid);
