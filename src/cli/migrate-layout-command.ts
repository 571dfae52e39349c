import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_FROM, planMigration, type RootFile } from '../app/migrate-layout.js';
import { loadPolicyFile } from '../runtime/policy-file.js';
import { CliError, EXIT } from './exit-codes.js';

interface Options {
  config: string;
  repo: string;
  from: string;
  script: string;
  write?: boolean;
}

/**
 * `migrate-layout`: moves every generated file of the single root to a root of its own, as the
 * per-database policy places it, and writes the script that moves each database's state (docs/migration.md).
 * Without --write it only says what it would do.
 */
export function registerMigrateLayout(program: Command): void {
  program
    .command('migrate-layout')
    .description("move the single root's databases to roots of their own, and write the state-move script")
    .requiredOption('--config <file>', 'the per-database policy the databases move to')
    .option('--repo <dir>', 'the working copy', '.')
    .option('--from <template>', "the single root's file template", DEFAULT_FROM)
    .option('--script <file>', 'where to write the state-move script, relative to --repo', 'migrate-state.sh')
    .option('--write', 'move the files and write the script (default: only say what would be done)')
    .action((options: Options) => {
      const { policy } = loadPolicyFile(options.config);
      const repoPath = (path: string) => join(options.repo, ...path.split('/'));
      const result = planMigration({
        policy,
        from: options.from,
        files: readRootFiles(repoPath, posix.dirname(options.from)),
        exists: (path) => existsSync(repoPath(path)),
      });
      if (!result.ok)
        throw new CliError(
          result.problems.map(({ path, message }) =>
            path.startsWith('git.') ? `${options.config}: ${path}: ${message}` : `${path}: ${message}`,
          ),
          EXIT.invalid,
        );
      const { moves, script } = result.plan;
      const verb = options.write ? 'moved' : 'would move';
      for (const move of moves)
        process.stdout.write(
          `${verb} ${move.from} -> ${move.to.file} (module.${move.dbName}, state key ${move.to.stateKey})\n`,
        );
      if (!options.write) {
        process.stdout.write(`would write ${options.script}; run again with --write\n`);
        return;
      }
      for (const move of moves) {
        mkdirSync(dirname(repoPath(move.to.file)), { recursive: true });
        writeFileSync(repoPath(move.to.file), move.content, { flag: 'wx' });
        rmSync(repoPath(move.from));
      }
      writeFileSync(repoPath(options.script), script, { mode: 0o755 });
      process.stdout.write(
        `wrote ${options.script}: pause the pipeline's apply, then run its split, push and check steps (docs/migration.md)\n`,
      );
    });
}

/** The files directly in the single root's directory; none when it does not exist. */
function readRootFiles(repoPath: (path: string) => string, dir: string): RootFile[] {
  let names: string[];
  try {
    names = readdirSync(repoPath(dir), { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
  } catch {
    return [];
  }
  return names.map((name) => {
    const path = posix.join(dir, name);
    return { path, content: readFileSync(repoPath(path), 'utf8') };
  });
}
