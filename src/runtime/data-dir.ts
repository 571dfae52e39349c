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
  const given = givenToken(dataDir, kind);
  if (given) return given;
  const file = join(dataDir, kind.file);
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: OWNER_ONLY.file, flag: 'wx' });
  announce(`${kind.notice} (shown once; kept in ${file}): ${token}`);
  return { token, source: file };
}

/** A token already given: its variable, or the file an earlier start wrote. */
function givenToken(dataDir: string, kind: TokenKind): { token: string; source: string } | undefined {
  const file = join(dataDir, kind.file);
  keepFileOwnerOnly(file);
  const fromEnv = process.env[kind.env];
  if (fromEnv) return { token: fromEnv, source: kind.env };
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), source: file };
  return undefined;
}

/** The same token for both would let a requester report an apply and the pipeline ask for databases. */
function refuseOneTokenForBoth(
  api: { token: string; source: string },
  pipeline: { token: string; source: string },
) {
  if (api.token === pipeline.token)
    throw new DataDirError(
      `${pipeline.source}: must differ from the API token (${api.source}): the pipeline's token reaches the reports, and only they`,
    );
}

/**
 * Before anything is made: the tokens already given (variables, files) can serve. Missing ones are made
 * (and shown) by localTokens once start-up has made the rest, so a start that fails shows no token.
 */
export function checkGivenTokens(dataDir: string): void {
  const api = givenToken(dataDir, API_TOKEN);
  const pipeline = givenToken(dataDir, PIPELINE_TOKEN);
  if (api && pipeline) refuseOneTokenForBoth(api, pipeline);
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
  refuseOneTokenForBoth(api, pipeline);
  return { api: api.token, pipeline: pipeline.token };
}
