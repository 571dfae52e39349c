// Repositories and requests for the benchmarks, built with the project's own code from dist/: the
// seeded infra repository (ensureInfraRepository), realistic rendered files (resolve + render), and
// many of them committed on main in one `git fast-import`.
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureInfraRepository } from '../dist/adapters/local/git-infra-repository.js';
import { LocalGitHost } from '../dist/adapters/local/local-git-host.js';
import { openDatabase } from '../dist/adapters/local/sqlite.js';
import { SqliteIntake } from '../dist/adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../dist/adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../dist/adapters/local/sqlite-status-store.js';
import { newRequestId, systemClock } from '../dist/adapters/system.js';
import { resolveRequest } from '../dist/domain/resolve.js';
import { renderTerraform } from '../dist/render/terraform.js';
import { loadPolicyFile } from '../dist/runtime/policy-file.js';
import { now, ROOT, tempDir } from './lib.mjs';

export const run = promisify(execFile);
export const policy = loadPolicyFile();
export const conventions = policy.policy.git;
export const author = conventions.author;

const ENGINES = ['mysql', 'postgres', 'mariadb'];
const ENVIRONMENTS = ['dev', 'staging', 'prod'];
const SIZES = { dev: ['small', 'medium'], staging: ['small', 'medium', 'large'], prod: ['medium', 'large'] };

/** A valid request, varied by `i` over engines, environments and sizes; prod ones name an owner. */
export function requestFor(dbName, i) {
  const environment = ENVIRONMENTS[i % 3];
  const engine = ENGINES[Math.floor(i / 3) % 3];
  const sizes = SIZES[environment];
  return {
    db_name: dbName,
    engine,
    environment,
    size: sizes[Math.floor(i / 9) % sizes.length],
    ...(environment === 'prod' ? { owner: `team-${i % 17}` } : {}),
  };
}

/** The file the service would write for that request. */
export function rendered(request) {
  const resolved = resolveRequest(request, policy.policy, { requestId: newRequestId() });
  if (!resolved.ok) throw new Error(`bench request refused: ${JSON.stringify(resolved.issues)}`);
  const { spec } = resolved.value;
  return {
    path: spec.location.file,
    content: renderTerraform(spec),
  };
}

/** A fresh bare repository as the service creates it: one commit on main with the module and live root. */
export async function seededRepository(name) {
  const path = join(tempDir(name), 'infra');
  await ensureInfraRepository(path, { sourceDir: ROOT, author, layout: conventions.layout });
  return path;
}

/**
 * The local runtime's adapters on a repository, as `src/runtime/local.ts` wires them: a SQLite database
 * beside the repository (named `dbFile`) holding the status store, the queue and the local host's pull
 * requests, the intake, and `LocalGitHost`.
 */
export function localAdapters(repo, dbFile = 'rds-provisioner.db') {
  const db = openDatabase(join(repo, '..', dbFile));
  const store = new SqliteStatusStore(db);
  const queue = new SqliteQueue(db, systemClock);
  const git = new LocalGitHost({
    repository: repo,
    author,
    db,
    clock: systemClock,
    pullUrl: (n) => `http://127.0.0.1/pulls/${n}`,
  });
  return { db, store, queue, intake: new SqliteIntake(store, queue), git };
}

export async function headOf(repo, branch = 'main') {
  const { stdout } = await run('git', [`--git-dir=${repo}`, 'rev-parse', `refs/heads/${branch}`]);
  return stdout.trim();
}

/**
 * Commits `count` rendered databases (`existing-<n>`, each where the layout puts it) on main in one commit, through
 * `git fast-import` (a pack, as a repository that has been gc'd holds them).
 */
export async function addDatabases(repo, count) {
  const parent = await headOf(repo);
  const child = spawn('git', [`--git-dir=${repo}`, 'fast-import', '--quiet', '--done'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import: ${stderr}`)))),
  );
  const message = Buffer.from(`Existing databases: ${count}\n`);
  const parts = [
    `commit refs/heads/main\ncommitter ${author.name} <${author.email}> ${Math.floor(Date.now() / 1000)} +0000\n`,
    `data ${message.length}\n`,
    message,
    `from ${parent}\n`,
  ];
  for (let i = 0; i < count; i++) {
    const { path, content } = rendered(requestFor(`existing-${i}`, i));
    const body = Buffer.from(content);
    parts.push(`M 100644 inline ${path}\ndata ${body.length}\n`, body, '\n');
  }
  parts.push('\ndone\n');
  for (const part of parts) {
    if (!child.stdin.write(part)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  }
  child.stdin.end();
  await done;
  return headOf(repo);
}

/** A seeded repository whose main holds `count` databases, and how long adding them took (ms). */
export async function repositoryWith(name, count) {
  const repo = await seededRepository(name);
  const start = now();
  await addDatabases(repo, count);
  return { repo, setupMs: now() - start };
}
