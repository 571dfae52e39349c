import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepFileOwnerOnly, OWNER_ONLY } from '../adapters/local/owner-only.js';

/** The data dir cannot be created or made private, or its tokens cannot serve: names what and why. */
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

/** A token the local runtime keeps: the variable that overrides it, its file in the data dir, its notice. */
interface TokenKind {
  env: string;
  file: string;
  notice: string;
}

const API_TOKEN: TokenKind = { env: 'RDS_PROVISIONER_API_TOKEN', file: 'api-token', notice: 'API token' };
const PIPELINE_TOKEN: TokenKind = {
  env: 'RDS_PROVISIONER_PIPELINE_TOKEN',
  file: 'pipeline-token',
  notice: 'Pipeline token for the report commands',
};

const toStderr = (line: string) => process.stderr.write(`${line}\n`);

/**
 * A token: its variable, or one generated on first start, kept owner-only in the data dir and shown
 * once. `source` names where it came from (never the token itself).
 */
function localToken(
  dataDir: string,
  kind: TokenKind,
  announce: (line: string) => void,
): { token: string; source: string } {
  const file = join(dataDir, kind.file);
  keepFileOwnerOnly(file);
  const fromEnv = process.env[kind.env];
  if (fromEnv) return { token: fromEnv, source: kind.env };
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), source: file };
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: OWNER_ONLY.file, flag: 'wx' });
  announce(`${kind.notice} (shown once; kept in ${file}): ${token}`);
  return { token, source: file };
}

/**
 * The requesters' API token and the pipeline's own token (only it reaches /reports/*). Both
 * $RDS_PROVISIONER_API_TOKEN / $RDS_PROVISIONER_PIPELINE_TOKEN, or generated on first start. The same
 * token for both would let a requester report an apply and the pipeline ask for databases: refused.
 */
export function localTokens(
  dataDir: string,
  announce: (line: string) => void = toStderr,
): { api: string; pipeline: string } {
  const api = localToken(dataDir, API_TOKEN, announce);
  const pipeline = localToken(dataDir, PIPELINE_TOKEN, announce);
  if (api.token === pipeline.token)
    throw new DataDirError(
      `${pipeline.source}: must differ from the API token (${api.source}): the pipeline's token reaches the reports, and only they`,
    );
  return { api: api.token, pipeline: pipeline.token };
}
