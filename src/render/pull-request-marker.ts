/**
 * The hidden marker that ties a pull request to the request it was opened for. Written into the body by
 * renderPullRequest and read back by the webhook, the hosts and the page: one contract, one place.
 */

const PREFIX = '<!-- rds-provisioner request-id: ';
const SUFFIX = ' -->';
const MARKER = /<!-- rds-provisioner request-id: ([A-Za-z0-9._-]{1,64}) -->/;
const MARKER_LINE = /^[ \t]*<!-- rds-provisioner request-id: [A-Za-z0-9._-]{1,64} -->[ \t]*(?:\r?\n|$)/gm;

/** The marker line for a request id. */
export function requestIdMarker(requestId: string): string {
  return `${PREFIX}${requestId}${SUFFIX}`;
}

/** The request id a pull request body names, or null when it carries no marker. */
export function requestIdFromBody(body: string | null | undefined): string | null {
  if (typeof body !== 'string') return null;
  return MARKER.exec(body)?.[1] ?? null;
}

/** The body without its marker line, for showing to a person. */
export function withoutMarker(body: string): string {
  return body.replace(MARKER_LINE, '').trimEnd();
}
