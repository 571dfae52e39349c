/**
 * The service's comments on a pull request (the plan CI reported): each body carries a hidden marker, one
 * HTML comment such as `<!-- rds-provisioner:plan -->`, that finds it again, so there is one comment of a
 * kind, edited in place. What every git host checks before it writes one.
 */

/** GitHub refuses a comment body longer than this many characters; the local host holds the same bound. */
export const COMMENT_BODY_MAX_CHARS = 65_536;

const MARKER = /^<!-- [A-Za-z0-9][A-Za-z0-9:._-]{0,63} -->$/;

/** Why a comment cannot be written, or null when it can. Never echoes the body: it may be long. */
export function commentProblem(number: number, marker: string, body: string): string | null {
  if (!Number.isSafeInteger(number) || number < 1) return `invalid pull request number ${number}`;
  if (!MARKER.test(marker))
    return `invalid comment marker ${JSON.stringify(marker.slice(0, 80))}: one hidden HTML comment, "<!-- name -->"`;
  if (!body.includes(marker)) return `the comment body does not carry its marker ${marker}`;
  const length = [...body].length;
  if (length > COMMENT_BODY_MAX_CHARS)
    return `the comment body has ${length} characters, more than the ${COMMENT_BODY_MAX_CHARS} GitHub takes`;
  return null;
}
