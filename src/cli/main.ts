import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { GitChangesError } from '../adapters/local/git-changes.js';
import { AwsBackendConfigError } from '../runtime/aws-backend.js';
import { DataDirError } from '../runtime/data-dir.js';
import { GitHubConfigError } from '../runtime/github-from-env.js';
import { ListenError } from '../runtime/listen.js';
import { OidcSettingsError } from '../runtime/oidc-settings.js';
import { PolicyFileError } from '../runtime/policy-file.js';
import { TOKEN_HELP } from './api-client.js';
import { registerAudit } from './audit-command.js';
import { registerChangedRoots } from './changed-roots-command.js';
import { registerDb } from './db-commands.js';
import { CliError, EXIT } from './exit-codes.js';
import { registerInitRepo } from './init-repo-command.js';
import { registerMigrateLayout } from './migrate-layout-command.js';
import { registerPr } from './pr-commands.js';
import { registerRender } from './render-command.js';
import { registerReport } from './report-commands.js';
import { registerRequestCommands } from './request-commands.js';
import { registerServe } from './serve-command.js';
import { registerToken } from './token-commands.js';
import { registerValidateConfig } from './validate-config-command.js';
import { registerWhoami } from './whoami-command.js';

/** The `rds-provisioner` command: wiring only; each command lives in its own module. */
export function buildProgram(): Command {
  const program = new Command('rds-provisioner')
    .description('Self-service RDS provisioning through GitOps')
    .version(packageVersion(), '-V, --version', 'print the version')
    .addHelpText('after', `\n${TOKEN_HELP}`)
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerRender(program);
  registerValidateConfig(program);
  registerRequestCommands(program);
  registerPr(program);
  registerDb(program);
  registerChangedRoots(program);
  registerMigrateLayout(program);
  registerInitRepo(program);
  registerReport(program);
  registerWhoami(program);
  registerToken(program);
  registerAudit(program);
  return program;
}

function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version are successes; usage mistakes are invalid input. Commander printed the message.
    return error.exitCode === 0 ? EXIT.ok : EXIT.invalid;
  }
  if (error instanceof CliError) {
    if (error.lines.length > 0) process.stderr.write(`${error.lines.join('\n')}\n`);
    return error.exitCode;
  }
  if (
    error instanceof GitHubConfigError ||
    error instanceof AwsBackendConfigError ||
    error instanceof PolicyFileError ||
    error instanceof DataDirError ||
    error instanceof OidcSettingsError ||
    error instanceof GitChangesError
  ) {
    process.stderr.write(`${error.message}\n`);
    return EXIT.invalid;
  }
  // The port or host cannot be bound: the message names the option; no "error:" prefix, no stack.
  if (error instanceof ListenError) {
    process.stderr.write(`${error.message}\n`);
    return EXIT.error;
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.error;
}

process.exitCode = await main(process.argv.slice(2));
