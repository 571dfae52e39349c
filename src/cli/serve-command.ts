import type { Command } from 'commander';
import type { LocalOptions } from '../runtime/local.js';
import { invalidInput } from './exit-codes.js';

interface ServeOptions {
  port: string;
  host: string;
  dataDir: string;
  repo?: string;
  github?: string;
  backend: string;
  config?: string;
  workers: string;
  maxAttempts: string;
  visibilityTimeout: string;
  afterMerge?: string;
  afterMergeTimeout?: string;
  oidcIssuer?: string;
  oidcAudience?: string;
  oidcJwksUri?: string;
  oidcClientId?: string;
}

/** An hour: long enough for Aurora to create a cluster and its instances. */
const DEFAULT_AFTER_MERGE_TIMEOUT_S = 3600;

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw invalidInput([{ path: `--${name}`, message: `must be a whole number from ${min} to ${max}` }]);
  return n;
}

/** --after-merge and its timeout, checked: a command, for the local git repository only. */
function afterMergeSettings(options: ServeOptions): LocalOptions['afterMerge'] {
  if (options.afterMerge === undefined) {
    if (options.afterMergeTimeout !== undefined)
      throw invalidInput([{ path: '--after-merge-timeout', message: 'only with --after-merge' }]);
    return undefined;
  }
  if (options.afterMerge.trim() === '')
    throw invalidInput([{ path: '--after-merge', message: 'must be a command, not empty' }]);
  if (options.github !== undefined)
    throw invalidInput([
      {
        path: '--after-merge',
        message:
          'runs after a merge of the local git repository; with --github, pull requests merge on GitHub and CI applies them',
      },
    ]);
  const seconds =
    options.afterMergeTimeout === undefined
      ? DEFAULT_AFTER_MERGE_TIMEOUT_S
      : integer('after-merge-timeout', options.afterMergeTimeout, 1, 86_400);
  return { command: options.afterMerge, timeoutMs: seconds * 1000 };
}

/**
 * The --oidc-* flags given, each winning over its RDS_PROVISIONER_OIDC_* variable; the runtime checks them
 * with the variables (oidcSettings), every mistake named by its flag.
 */
function oidcFlags(options: ServeOptions): LocalOptions['oidc'] {
  const flags = {
    ...(options.oidcIssuer !== undefined && { issuer: options.oidcIssuer }),
    ...(options.oidcAudience !== undefined && { audience: options.oidcAudience }),
    ...(options.oidcJwksUri !== undefined && { jwksUri: options.oidcJwksUri }),
    ...(options.oidcClientId !== undefined && { clientId: options.oidcClientId }),
  };
  return Object.keys(flags).length > 0 ? flags : undefined;
}

/** `serve`: API, queue and worker in one process until SIGINT or SIGTERM. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the API and the worker against a local git repository (or GitHub)')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'queue, status and token live here', '.rds-provisioner')
    .option('--repo <path>', 'target git repository (default: <data-dir>/infra, created with the module)')
    .option(
      '--github <owner/repo>',
      'target a GitHub repository (GITHUB_TOKEN or a GitHub App; GITHUB_API_URL for GHES)',
    )
    .option(
      '--backend <sqlite|aws>',
      "where the queue and statuses live: sqlite in --data-dir, or aws: a deployed stack's DynamoDB table, SNS topic and SQS queues (STATUS_TABLE, TOPIC_ARN, QUEUE_URL, DEAD_LETTER_QUEUE_URL)",
      'sqlite',
    )
    .option(
      '--config <file>',
      'policy file (default: $RDS_PROVISIONER_CONFIG or the packaged config/policy.yaml)',
    )
    .option('--workers <n>', 'requests processed at once; 0 serves the API only', '4')
    .option('--max-attempts <n>', 'deliveries before a request is dead-lettered and failed', '5')
    .option(
      '--visibility-timeout <seconds>',
      "lease on a message; a crashed worker's messages come back after it",
      '30',
    )
    .option(
      '--after-merge <command>',
      'local git repository only: after each merge, run this shell command in a checkout of the merge commit (env RDS_PROVISIONER_COMMIT, RDS_PROVISIONER_ROOTS, RDS_PROVISIONER_DESTROY_ROOTS, RDS_PROVISIONER_URL); it prints `terraform show -json` of the state after its apply: exit 0 → ready, otherwise apply_failed with the end of its standard error',
    )
    .option(
      '--after-merge-timeout <seconds>',
      `stop an --after-merge command running longer, and record the apply failed (default ${DEFAULT_AFTER_MERGE_TIMEOUT_S})`,
    )
    .option(
      '--oidc-issuer <url>',
      'accept bearer JWTs from this OpenID Connect provider (default: $RDS_PROVISIONER_OIDC_ISSUER; https, http only on loopback)',
    )
    .option(
      '--oidc-audience <aud>',
      'the audience those JWTs are issued for: this API (required with an issuer; default: $RDS_PROVISIONER_OIDC_AUDIENCE)',
    )
    .option(
      '--oidc-jwks-uri <url>',
      "the provider's signing keys (default: $RDS_PROVISIONER_OIDC_JWKS_URI, else its discovery document's)",
    )
    .option(
      '--oidc-client-id <id>',
      "the web page's client at the provider: the page signs in there (code + PKCE) (default: $RDS_PROVISIONER_OIDC_CLIENT_ID)",
    )
    .action(async (options: ServeOptions) => {
      if (options.backend !== 'sqlite' && options.backend !== 'aws')
        throw invalidInput([{ path: '--backend', message: 'must be sqlite or aws' }]);
      const afterMerge = afterMergeSettings(options);
      const oidc = oidcFlags(options);
      const local: LocalOptions = {
        port: integer('port', options.port, 0, 65535),
        host: options.host,
        dataDir: options.dataDir,
        ...(options.repo ? { repo: options.repo } : {}),
        ...(options.github ? { github: options.github } : {}),
        backend: options.backend,
        ...(options.config ? { config: options.config } : {}),
        workers: integer('workers', options.workers, 0, 64),
        maxAttempts: integer('max-attempts', options.maxAttempts, 1, 100),
        visibilityMs: integer('visibility-timeout', options.visibilityTimeout, 1, 43_200) * 1000,
        ...(afterMerge ? { afterMerge } : {}),
        ...(oidc && { oidc }),
      };
      // Signals are caught from before start-up, so one that arrives just as the server is ready
      // stops it cleanly instead of killing the process.
      const stopAsked = untilSignal();
      try {
        // Loaded here, not at start-up: the other commands (changed-roots in CI, after
        // `npm ci --ignore-scripts`) run without the local runtime's SQLite and servers.
        const { startLocal } = await import('../runtime/local.js');
        const server = await startLocal(local);
        await stopAsked.promise;
        await server.stop();
      } finally {
        stopAsked.dispose();
      }
    });
}

/** Resolves on the first SIGINT or SIGTERM; dispose() stops listening for them. */
function untilSignal(): { promise: Promise<void>; dispose(): void } {
  let dispose = () => {};
  const promise = new Promise<void>((resolve) => {
    const onSignal = () => {
      dispose();
      resolve();
    };
    dispose = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { promise, dispose };
}
