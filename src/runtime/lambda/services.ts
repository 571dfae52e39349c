import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  dynamoDbDocumentClient,
  secretsManagerClient,
  snsClient,
  sqsClient,
} from '../../adapters/aws/clients.js';
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log.js';
import { DynamoDbStatusStore } from '../../adapters/aws/dynamodb-status-store.js';
import { SecretsManagerSource } from '../../adapters/aws/secrets-manager-source.js';
import { SnsIntake } from '../../adapters/aws/sns-intake.js';
import { DEFAULT_PACING } from '../../adapters/github/pacing.js';
import type { AppContext } from '../../app/context.js';
import type { GitHost, SecretSource } from '../../ports.js';
import { appContext } from '../app-context.js';
import { type LambdaConfig, lambdaConfig } from './config.js';
import { memoRetrying } from './memo.js';
import { logger } from './observability.js';
import { packagedPolicy } from './packaged-policy.js';

/** What the functions share in one container: built on the first invocation, reused after it. */
export interface LambdaServices {
  config: LambdaConfig;
  ctx: AppContext;
  intake: SnsIntake;
  sqs: SQSClient;
  secrets: SecretSource;
}

const built = memoRetrying(build);

/** The container's services, built on the first invocation. */
export const services = (): Promise<LambdaServices> => built.get();

async function build(): Promise<LambdaServices> {
  const config = lambdaConfig();
  const policy = packagedPolicy();
  const client = dynamoDbDocumentClient();
  const store = new DynamoDbStatusStore({ client, tableName: config.STATUS_TABLE });
  const audit = new DynamoDbAuditLog({ client, tableName: config.STATUS_TABLE });
  const intake = new SnsIntake({ store, sns: snsClient(), topicArn: config.TOPIC_ARN, logger });
  const secrets = new SecretsManagerSource({ client: secretsManagerClient() });
  // Each worker container paces its GitHub mutations at its share of the limits one token has.
  const share = config.WORKER_MAX_CONCURRENCY;
  // The token is read on first use, so routes that need no GitHub (health, the request list) work even
  // while the secret is unreadable; a call that needs it fails as a transient error and is retried.
  // Its module (Octokit, its plugins, the tar reader) is imported then too: the routes that never call
  // GitHub never load it.
  const git = lazyGitHost(async () => {
    const { githubHost } = await import('../github-from-env.js');
    return githubHost(config.GITHUB_REPOSITORY, {
      auth: { token: await secrets.get(config.GITHUB_TOKEN_SECRET) },
      logger,
      ...(config.GITHUB_API_URL ? { baseUrl: config.GITHUB_API_URL } : {}),
      retries: config.GITHUB_RETRIES,
      pacing: {
        minWriteGapMs: DEFAULT_PACING.minWriteGapMs * share,
        contentPerMinute: Math.floor(DEFAULT_PACING.contentPerMinute / share),
        contentPerHour: Math.floor(DEFAULT_PACING.contentPerHour / share),
        // A pause must end well within the function's timeout; past it the message is retried.
        maxPauseMs: 15_000,
      },
    });
  });
  const ctx = appContext({ policy, store, intake, git, logger, audit });
  return { config, ctx, intake, sqs: sqsClient(), secrets };
}

/** Tests only: forget the container's services, as a new container would. */
export function resetServices(): void {
  built.reset();
}

/** A GitHost whose host is created on the first call (and again after a failed creation). */
function lazyGitHost(create: () => Promise<GitHost>): GitHost {
  const host = memoRetrying(create);
  return {
    headOf: async (branch) => (await host.get()).headOf(branch),
    readFile: async (ref, path) => (await host.get()).readFile(ref, path),
    ensureBranch: async (branch, from) => (await host.get()).ensureBranch(branch, from),
    resetBranch: async (branch, to, expected) => (await host.get()).resetBranch(branch, to, expected),
    ensureFile: async (change) => (await host.get()).ensureFile(change),
    ensureFileRemoved: async (removal) => (await host.get()).ensureFileRemoved(removal),
    listFiles: async (commit, directory) => (await host.get()).listFiles(commit, directory),
    readBlob: async (blob) => (await host.get()).readBlob(blob),
    readDirectory: async (commit, directory) => (await host.get()).readDirectory(commit, directory),
    openPullRequests: async (branch) => (await host.get()).openPullRequests(branch),
    ensurePullRequest: async (spec) => (await host.get()).ensurePullRequest(spec),
    upsertPullRequestComment: async (number, marker, body) =>
      (await host.get()).upsertPullRequestComment(number, marker, body),
    containsCommit: async (branch, commit) => (await host.get()).containsCommit(branch, commit),
  };
}
