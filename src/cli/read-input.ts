import { type FileHandle, open } from 'node:fs/promises';
import { CliError, invalidInput } from './exit-codes.js';

/** Why a file cannot be read, in words; anything else by its code. */
const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
};

export function readErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return Object.hasOwn(READ_ERRORS, code) ? (READ_ERRORS[code] as string) : code || String(error);
}

/** "standard input" for `-`, else the path as given: how messages name what was read. */
export const inputName = (file: string) => (file === '-' ? 'standard input' : file);

const mib = (bytes: number) => `${bytes / (1024 * 1024)} MiB`;

/**
 * Runs `read` on the opened file and closes it; a file that cannot be opened or read is an invalid-input
 * error naming `field` and the file, never a stack trace.
 */
async function withFile<T>(
  file: string,
  field: string,
  read: (handle: FileHandle) => Promise<T>,
): Promise<T> {
  const refused = (error: unknown) =>
    error instanceof CliError
      ? error
      : invalidInput([{ path: field, message: `cannot read ${file}: ${readErrorReason(error)}` }]);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw refused(error);
  }
  try {
    return await read(handle);
  } catch (error) {
    throw refused(error);
  } finally {
    await handle.close();
  }
}

/** A file (or standard input for `-`) read whole, refused past `limit` bytes without reading further. */
export async function readBounded(file: string, limit: number, field: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const readAll = async (stream: AsyncIterable<unknown>) => {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > limit)
        throw invalidInput([{ path: field, message: `${inputName(file)} is over ${mib(limit)}` }]);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  };
  if (file === '-') return readAll(process.stdin);
  return withFile(file, field, (handle) => readAll(handle.createReadStream({ autoClose: false })));
}

/**
 * The last `limit` bytes of a file (a log keeps its end: that is where Terraform's errors are), decoded
 * as UTF-8 without a character cut in half at the start.
 */
export function readTail(file: string, limit: number, field: string): Promise<string> {
  return withFile(file, field, async (handle) => {
    const { size } = await handle.stat();
    const length = Math.min(size, limit);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    let start = 0;
    // Skip UTF-8 continuation bytes (10xxxxxx) left from a character that began before the cut.
    while (size > limit && start < buffer.length && ((buffer[start] as number) & 0xc0) === 0x80) start++;
    return buffer.subarray(start).toString('utf8');
  });
}
