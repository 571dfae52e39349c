import type { Command } from 'commander';
import { startLocal } from '../runtime/local.js';
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
}

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw invalidInput([{ path: `--${name}`, message: `must be a whole number from ${min} to ${max}` }]);
  return n;
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
    .action(async (options: ServeOptions) => {
      if (options.backend !== 'sqlite' && options.backend !== 'aws')
        throw invalidInput([{ path: '--backend', message: 'must be sqlite or aws' }]);
      const server = await startLocal({
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
      });
      await new Promise<void>((done) => {
        const shutdown = () => {
          process.off('SIGINT', shutdown);
          process.off('SIGTERM', shutdown);
          server.stop().then(done, done);
        };
        process.on('SIGINT', shutdown);
        process.on('SIGTERM', shutdown);
      });
    });
}
