/**
 * The AWS runtime's parts for an end-to-end test in this process: moto with template.yaml's data
 * resources (createStack), the GitHub simulator as the repository, and process.env set as the stack's
 * functions see it, so the real handlers (src/runtime/lambda/*) run against them. What the functions
 * write (Powertools logs to stdout and stderr) is kept in `output`, not printed, to check for secrets.
 * `stop()` puts the environment back.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sign } from '@octokit/webhooks-methods';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { vi } from 'vitest';
import { handler as apiHandler } from '../../src/runtime/lambda/api.js';
import { resetServices } from '../../src/runtime/lambda/services.js';
import { handler as workerHandler } from '../../src/runtime/lambda/worker.js';
import { type AwsStack, createStack } from './aws-stack.js';
import { type GitHubSimulator, startGitHubSimulator } from './github-simulator.js';
import { closedPullRequestEvent } from './github-webhooks.js';
import { type ApiCall, apiGatewayEvent, lambdaContext, pollOnce } from './lambda-events.js';
import { type MotoServer, startMoto } from './moto.js';

export interface AwsRuntimeOptions {
  /** The GitHub token (Secrets Manager github/pat) the simulator accepts. */
  token: string;
  webhookSecret: string;
  region?: string;
  /** Template parameters over the defaults (GitHubRepository is acme/infra). */
  parameters?: Record<string, string | number>;
}

export interface DrainOptions {
  visibilityTimeout?: number;
  until?: () => Promise<boolean>;
}

export interface ApiAnswer {
  status: number;
  json: Record<string, unknown>;
}

type MergedPull = ReturnType<GitHubSimulator['mergePull']>;

export interface AwsRuntime {
  moto: MotoServer;
  stack: AwsStack;
  sim: GitHubSimulator;
  sqs: SQSClient;
  /** Everything the functions wrote. */
  output: string[];
  /** The real API handler's answer to one API Gateway event, its body parsed. */
  callApi(request: ApiCall): Promise<ApiAnswer>;
  /** Merges the pull request on GitHub and delivers the signed pull_request webhook to the API handler. */
  mergePull(number: number): Promise<{ merged: MergedPull; hook: ApiAnswer }>;
  /** Messages in a queue (the requests queue unless named), those hidden for a retry included. */
  queueDepth(queueUrl?: string): Promise<number>;
  /**
   * Runs the worker as the Lambda service's poller does until the requests queue is empty (or, with
   * `until`, until that holds), receiving with `visibilityTimeout` seconds (30 unless given).
   */
  drain(options?: DrainOptions): Promise<void>;
  /**
   * Changes the functions' environment as a redeploy with other parameters would (AUTH_MODE, say); the
   * next invocation builds its services again.
   */
  setFunctionEnv(env: Record<string, string>): void;
  stop(): Promise<void>;
}

export async function startAwsRuntime(options: AwsRuntimeOptions): Promise<AwsRuntime> {
  const savedEnv = { ...process.env };
  const [moto, sim] = await Promise.all([
    startMoto(options.region),
    startGitHubSimulator({ owner: 'acme', repo: 'infra', tokens: [options.token] }),
  ]);
  const stack = await createStack(moto.clientConfig, {
    parameters: { GitHubRepository: 'acme/infra', ...options.parameters },
    secretValues: { GitHubTokenSecret: options.token, GitHubWebhookSecret: options.webhookSecret },
  });
  Object.assign(process.env, moto.env, stack.env, {
    GITHUB_REPOSITORY: 'acme/infra',
    GITHUB_API_URL: sim.url,
    // SQS retries the message; no need to also retry inside the function.
    GITHUB_RETRIES: '0',
    POWERTOOLS_METRICS_NAMESPACE: 'RdsProvisionerTest',
  });
  resetServices();
  const sqs = new SQSClient(moto.clientConfig);
  const output: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    }),
  );

  async function callApi(request: ApiCall): Promise<ApiAnswer> {
    const response = (await apiHandler(
      apiGatewayEvent(request),
      lambdaContext('api'),
    )) as APIGatewayProxyResult;
    return { status: response.statusCode, json: response.body ? JSON.parse(response.body) : {} };
  }

  async function queueDepth(queueUrl = stack.queueUrl): Promise<number> {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  return {
    moto,
    stack,
    sim,
    sqs,
    output,
    callApi,
    async mergePull(number) {
      const merged = sim.mergePull(number);
      const payload = JSON.stringify(closedPullRequestEvent('acme/infra', merged));
      const hook = await callApi({
        method: 'POST',
        path: '/webhooks/github',
        rawBody: payload,
        userArn: null,
        headers: {
          'x-github-event': 'pull_request',
          'x-hub-signature-256': await sign(options.webhookSecret, payload),
        },
      });
      return { merged, hook };
    },
    queueDepth,
    async drain({ visibilityTimeout = 30, until }: DrainOptions = {}) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { records } = await pollOnce(sqs, stack.queueUrl, workerHandler, { visibilityTimeout });
        if (records.length > 0) continue;
        if (until ? await until() : (await queueDepth()) === 0) return;
        if (Date.now() > deadline) throw new Error('queue did not drain');
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    setFunctionEnv(env) {
      Object.assign(process.env, env);
      resetServices();
    },
    async stop() {
      for (const spy of spies) spy.mockRestore();
      process.env = savedEnv;
      resetServices();
      await sim.stop();
      await moto.stop();
    },
  };
}
