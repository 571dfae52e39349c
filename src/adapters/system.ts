import { randomBytes } from 'node:crypto';
import type { Clock, Logger } from '../ports.js';

export const systemClock: Clock = { now: () => new Date() };

/**
 * A UUID version 7: the first 48 bits are the Unix time in milliseconds, so ids sort by creation time
 * (useful in listings and logs), the rest is random.
 */
export function newRequestId(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

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
