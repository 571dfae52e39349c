import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * How large a body each route takes: one home for the HTTP app and for the Lambda handler, which
 * checks the event before it builds anything.
 */

/** Every route that takes a body: a request is a few hundred bytes; 16 KiB leaves room for tags. */
export const MAX_BODY_BYTES = 16 * 1024;

export const WEBHOOK_PATH = '/webhooks/github';

/**
 * GitHub's deliveries: a pull_request or check_run payload is tens of KB, plus a pull request body of at
 * most 65,536 characters (under 400 KB even with every character escaped in JSON). 1 MiB holds the
 * largest with room to spare; GitHub's own cap on a delivery, 25 MB, would let anyone make the
 * server hold 25 MB per connection before the signature is checked.
 */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

export const REPORTS_PREFIX = '/reports/';

/**
 * CI's reports carry Terraform's JSON, trimmed by the reporter to what the service reads (no
 * configuration, prior state or planned values; only the attributes that differ): a plan of 500
 * databases is a few MB. 8 MiB stays under API Gateway's 10 MB payload limit.
 */
export const MAX_REPORT_BODY_BYTES = 8 * 1024 * 1024;

/** The largest body a route takes. */
export function maxBodyBytes(path: string): number {
  if (path === WEBHOOK_PATH) return MAX_WEBHOOK_BODY_BYTES;
  if (path.startsWith(REPORTS_PREFIX)) return MAX_REPORT_BODY_BYTES;
  return MAX_BODY_BYTES;
}

/** The 413 answer's body. */
export function payloadTooLarge(maxBytes: number) {
  return {
    error: 'payload_too_large' as const,
    message: `the body must be at most ${maxBytes} bytes`,
  };
}

/**
 * 413 past the route's limit, with or without Content-Length: a declared length is checked before any
 * byte is read; a chunked body is counted as it arrives and refused the moment it passes the limit, so
 * the server never holds more than the limit of what a client sends.
 */
export const limitBodies: MiddlewareHandler = (c, next) => {
  const maxBytes = maxBodyBytes(c.req.path);
  return bodyLimit({ maxSize: maxBytes, onError: (e: Context) => e.json(payloadTooLarge(maxBytes), 413) })(
    c,
    next,
  );
};
