import { randomUUID } from 'node:crypto';
import type { Clock, Logger } from '../ports.js';

export const systemClock: Clock = { now: () => new Date() };

/** The last id's millisecond and its 12-bit counter (RFC 9562's method 1 for ids made in one millisecond). */
const lastId = { ms: -1, counter: 0 };

/**
 * A UUID version 7: the first 48 bits are the Unix time in milliseconds, so ids sort by creation time
 * (useful in listings and logs; the audit trail lists by id). Ids one process makes in the same
 * millisecond count up in the next 12 bits, so they sort in the order they were made; a new millisecond
 * starts the counter at a random value with room to count. The rest comes from randomUUID(), which draws
 * from a cached entropy pool and is much cheaper per id than randomBytes().
 */
export function newRequestId(now = Date.now()): string {
  const random = randomUUID();
  if (now === lastId.ms && lastId.counter < 0xfff) lastId.counter += 1;
  else {
    lastId.ms = now;
    lastId.counter = Number.parseInt(random.slice(15, 18), 16) & 0x7ff;
  }
  const time = now.toString(16).padStart(12, '0').slice(-12);
  const counter = lastId.counter.toString(16).padStart(3, '0');
  // randomUUID() is a v4: keep its variant bits, set the version nibble to 7.
  return `${time.slice(0, 8)}-${time.slice(8)}-7${counter}-${random.slice(19)}`;
}

/** What newRequestId makes (any UUID version 7): how a store tells its own cursor's id from others. */
export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Level = 'info' | 'warn' | 'error';

/** One JSON object per line: time, level, message, then the fields (request_id among them). */
export function jsonLogger(
  write: (line: string) => void = (line) => process.stdout.write(line),
  base: Record<string, unknown> = {},
): Logger {
  const log =
    (level: Level) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields })}\n`);
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
