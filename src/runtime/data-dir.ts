import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepFileOwnerOnly, OWNER_ONLY } from '../adapters/local/owner-only.js';

/** The data dir cannot be created or made private: names --data-dir and why. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

/**
 * Creates the data dir, or takes an existing one, owner-only (0700) on every start: it holds the
 * database and the API token, and a dir left 0755 (by hand, or by an earlier version) would show them.
 */
export function ensurePrivateDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: OWNER_ONLY.dir });
    chmodSync(dir, OWNER_ONLY.dir);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new DataDirError(
      `--data-dir ${dir}: cannot create it or make it private (0700): ${code ?? message}`,
    );
  }
}

/**
 * The API token: $RDS_PROVISIONER_API_TOKEN, or one generated on first start, kept owner-only in the
 * data dir and shown once.
 */
export function apiToken(
  dataDir: string,
  announce: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): string {
  const file = join(dataDir, 'api-token');
  keepFileOwnerOnly(file);
  const fromEnv = process.env.RDS_PROVISIONER_API_TOKEN;
  if (fromEnv) return fromEnv;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: OWNER_ONLY.file, flag: 'wx' });
  announce(`API token (shown once; kept in ${file}): ${token}`);
  return token;
}
