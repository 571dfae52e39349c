import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BearerAuthenticator } from '../adapters/bearer-authenticator.js';
import { ensureInfraRepository } from '../adapters/local/git-infra-repository.js';
import { LocalGitHost } from '../adapters/local/local-git-host.js';
import { checkpointPeriodically, openDatabase, type SqliteDatabase } from '../adapters/local/sqlite.js';
import { SqliteAuditLog } from '../adapters/local/sqlite-audit-log.js';
import { SqliteIntake } from '../adapters/local/sqlite-intake.js';
import { SqliteQueue } from '../adapters/local/sqlite-queue.js';
import { SqliteStatusStore } from '../adapters/local/sqlite-status-store.js';
import { SqliteTokenStore } from '../adapters/local/sqlite-token-store.js';
import { TokenAuthenticator } from '../adapters/local/token-auth.js';
import { OidcAuthenticator } from '../adapters/oidc/oidc-authenticator.js';
import { jsonLogger, systemClock } from '../adapters/system.js';
import { givenTokens, registerGivenTokens } from '../app/first-tokens.js';
import { createApp } from '../app/http/app.js';
import { reconcilePullRequests } from '../app/reconcile-pull-requests.js';
import { DEFAULT_RETRY } from '../app/settle-delivery.js';
import type { Authenticator, Logger } from '../ports.js';
import { pullPageAddress } from '../render/pull-address.js';
import { AfterMerge, type AfterMergeSettings } from './after-merge.js';
import { appContext } from './app-context.js';
import { awsBackendFromEnv, type Backend } from './aws-backend.js';
import { checkGivenTokens, ensurePrivateDataDir, localTokens } from './data-dir.js';
import { githubHostFromEnv } from './github-from-env.js';
import { listen } from './listen.js';
import { type OidcOptions, oidcSettings } from './oidc-settings.js';
import { loadPolicyFile } from './policy-file.js';
import { loadWebAssets } from './web-assets.js';
import { webSignIn } from './web-sign-in.js';
import { WorkerLoop } from './worker-loop.js';

export interface LocalOptions {
  port: number;
  host: string;
  dataDir: string;
  /** The target repository; default `<dataDir>/infra`, created with the module when missing. */
  repo?: string;
  /** `OWNER/REPO`: target that GitHub repository instead of a local one (credentials from the environment). */
  github?: string;
  /**
   * `aws`: status store, intake and queue on a deployed stack (DynamoDB, SNS, SQS; see awsBackendFromEnv)
   * instead of SQLite: a self-hosted worker next to the AWS runtime.
   */
  backend?: 'sqlite' | 'aws';
  /** Policy file; default $RDS_PROVISIONER_CONFIG or the packaged one. */
  config?: string;
  /** Requests processed at once; 0 runs the API only (workers run in other processes on the same data dir). */
  workers?: number;
  maxAttempts?: number;
  visibilityMs?: number;
  pollMs?: number;
  logger?: Logger;
  /** Local git host only: a command run after each merge, its outcome reported as the apply's (see AfterMerge). */
  afterMerge?: AfterMergeSettings;
  /** Where the one-time token notice goes (default stderr). */
  announce?: (line: string) => void;
  /** Bearer JWTs from an OIDC provider (serve's --oidc-* flags); each field wins over its RDS_PROVISIONER_OIDC_* variable. */
  oidc?: OidcOptions;
}

export interface LocalServer {
  url: string;
  stop(): Promise<void>;
}

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The local runtime: HTTP API, durable SQLite queue and worker in one process, against a local git
 * repository. Wiring only.
 */
export async function startLocal(options: LocalOptions): Promise<LocalServer> {
  const logger = options.logger ?? jsonLogger();
  const policy = loadPolicyFile(options.config);
  const dataDir = resolve(options.dataDir);
  // What can be checked without creating anything is checked first: GitHub's credentials, the stack.
  const github = options.github ? githubHostFromEnv(options.github, logger) : undefined;
  const aws = options.backend === 'aws' ? awsBackendFromEnv(logger) : undefined;
  const oidc = oidcSettings(process.env, options.oidc);
  // Then the port, so a taken one leaves nothing behind; it answers 503 until the app is wired.
  const listener = await listen(options.port, options.host);
  const baseUrl = listener.url;
  // Closed in reverse, after the listener, on stop and when start-up fails.
  const opened: Array<() => unknown> = [];
  const close = async () => {
    await listener.close();
    for (const closeOne of [...opened].reverse()) await closeOne();
  };

  try {
    ensurePrivateDataDir(dataDir);
    // Before the repository and the database: tokens that cannot serve stop start-up with nothing made.
    checkGivenTokens(dataDir);
    const repo = resolve(options.repo ?? join(dataDir, 'infra'));
    const author = policy.policy.git.author;
    if (!github)
      await ensureInfraRepository(repo, {
        sourceDir: PACKAGE_ROOT,
        author,
        layout: policy.policy.git.layout,
      });

    // SQLite keeps the queue and statuses (the embedded backend) and the local host's pull requests.
    const db = openDatabase(join(dataDir, 'rds-provisioner.db'));
    opened.push(() => db.close());
    opened.push(checkpointPeriodically(db));
    // Made (and shown once) only now: a start that failed before this shows no token it did not keep.
    const dataDirTokens = localTokens(dataDir, options.announce);
    const { store, intake, queue, audit, tokens } = aws ?? sqliteBackend(db);
    const local = github
      ? undefined
      : new LocalGitHost({
          repository: repo,
          author,
          db,
          clock: systemClock,
          pullUrl: (n) => pullPageAddress(baseUrl, n),
        });
    if (local) opened.push(() => local.dispose());
    const git = github ?? (local as LocalGitHost);

    const ctx = appContext({ policy, store, intake, git, logger, audit });
    if (local) await reconcilePullRequests(ctx, local);
    const workers = options.workers ?? 4;
    const worker = new WorkerLoop(ctx, queue, {
      concurrency: workers,
      visibilityMs: options.visibilityMs ?? 30_000,
      pollMs: options.pollMs ?? 250,
      retry: { ...DEFAULT_RETRY, maxAttempts: options.maxAttempts ?? DEFAULT_RETRY.maxAttempts },
    });
    opened.push(() => worker.stop());

    // The data dir's tokens are the first admin's and the pipeline's personal tokens (registered once).
    await registerGivenTokens(ctx, tokens, givenTokens(dataDirTokens, process.env.RDS_PROVISIONER_API_USER));
    // A JWT goes to the OIDC provider's keys when one is configured, any other bearer to the token store.
    const jwts = oidc && new OidcAuthenticator(oidc, policy.policy);
    const auth: Authenticator = new BearerAuthenticator(new TokenAuthenticator(tokens), jwts);
    // Stopped before the database closes (opened closes in reverse): a running command is reported failed.
    const afterMerge =
      local && options.afterMerge
        ? new AfterMerge(options.afterMerge, { ctx, repository: repo, apiUrl: baseUrl })
        : undefined;
    if (afterMerge) opened.push(() => afterMerge.stop());
    const webhookSecret = process.env.GITHUB_WEBHOOK_SECRET;
    const web = loadWebAssets(join(PACKAGE_ROOT, 'dist', 'web'));
    const app = createApp({
      ctx,
      auth,
      tokens,
      // The page signs in through the same provider (its discovery document read once for both).
      signIn: webSignIn(oidc, jwts?.discovery),
      ...(local ? { review: afterMerge ? afterMerge.review(local) : local } : {}),
      onAccepted: () => worker.wake(),
      // GitHub sends webhooks only for a GitHub repository: with the local git host the route is not served.
      ...(options.github && webhookSecret
        ? { webhook: { repository: options.github, secret: webhookSecret } }
        : {}),
      ...(web ? { web } : {}),
    });
    listener.serve(app.fetch);
    if (workers > 0) worker.start();
    logger.info('rds-provisioner serving', {
      url: baseUrl,
      repository: options.github ? `github:${options.github}` : repo,
      backend: options.backend ?? 'sqlite',
      // Whether a command runs after merges; never the command itself (it may carry a credential).
      after_merge: afterMerge !== undefined,
      web_page: web ? `${baseUrl}/` : 'not built (npm run build)',
      data_dir: dataDir,
      policy: policy.source,
    });
  } catch (error) {
    await close();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down: no new work, finishing what is in flight');
      await close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { url: baseUrl, stop };
}

function sqliteBackend(db: SqliteDatabase): Backend {
  const store = new SqliteStatusStore(db);
  const queue = new SqliteQueue(db, systemClock);
  return {
    store,
    queue,
    intake: new SqliteIntake(store, queue),
    audit: new SqliteAuditLog(db),
    tokens: new SqliteTokenStore(db),
  };
}
