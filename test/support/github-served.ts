import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, expect } from 'vitest';
import { type GitHubSimulator, type PullSnapshot, startGitHubSimulator } from './github-simulator.js';
import { closedPullRequestEvent } from './github-webhooks.js';
import { api, type RunningServer, startServer, waitFor } from './server.js';

export interface GitHubServedOptions {
  /** The token the simulator accepts and the server sends. */
  token: string;
  webhookSecret: string;
  /** The API's path prefix, as on GitHub Enterprise Server ('/api/v3'). Default none. */
  pathPrefix?: string;
}

export interface GitHubServed {
  readonly sim: GitHubSimulator;
  readonly server: RunningServer;
  readonly call: ReturnType<typeof api>;
  /** Delivers a signed webhook (with the suite's secret unless another is given); its status. */
  webhook(event: string, payload: unknown, secret?: string): Promise<number>;
  /**
   * Waits for the request's pull request at a step, merges it on GitHub (throwing "Merge conflict" where
   * GitHub answers 405) and delivers the webhook; the merged pull request.
   */
  mergeOpen(id: string, step?: number): Promise<PullSnapshot>;
}

const REPOSITORY = { owner: 'acme', repo: 'infra' };

/**
 * The real server on `serve --github acme/infra` (one worker) against a GitHub simulator, for a whole
 * suite: started before its tests, stopped after them. Read its fields inside tests, once it is running.
 */
export function githubServedPerSuite(options: GitHubServedOptions): GitHubServed {
  let running: { sim: GitHubSimulator; server: RunningServer; call: ReturnType<typeof api> } | undefined;
  beforeAll(async () => {
    const sim = await startGitHubSimulator({
      ...REPOSITORY,
      tokens: [options.token],
      ...(options.pathPrefix ? { pathPrefix: options.pathPrefix } : {}),
    });
    try {
      const server = await startServer({
        args: ['--github', `${REPOSITORY.owner}/${REPOSITORY.repo}`, '--workers', '1'],
        env: {
          GITHUB_TOKEN: options.token,
          GITHUB_API_URL: sim.url,
          GITHUB_WEBHOOK_SECRET: options.webhookSecret,
        },
      });
      running = { sim, server, call: api(server) };
    } catch (error) {
      await sim.stop();
      throw error;
    }
  });
  afterAll(async () => {
    await running?.server.stop();
    await running?.sim.stop();
  });
  const current = () => {
    if (!running) throw new Error('the suite server is not running yet');
    return running;
  };

  const webhook = async (event: string, payload: unknown, secret = options.webhookSecret) => {
    const body = JSON.stringify(payload);
    const response = await fetch(`${current().server.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-hub-signature-256': await sign(secret, body),
      },
      body,
    });
    return response.status;
  };

  const mergeOpen = async (id: string, step = 1) => {
    const { sim, call } = current();
    const open = await waitFor(
      () => call('GET', `/requests/${id}`),
      (r) => (r.json?.status === 'pr_open' && r.json?.step === step) || r.json?.status === 'failed',
      60_000,
    );
    expect(open.json).toMatchObject({ status: 'pr_open', step });
    const merged = sim.mergePull(open.json.pull_request.number);
    expect(await webhook('pull_request', closedPullRequestEvent(`${sim.owner}/${sim.repo}`, merged))).toBe(
      200,
    );
    return merged;
  };

  return {
    get sim() {
      return current().sim;
    },
    get server() {
      return current().server;
    },
    get call() {
      return current().call;
    },
    webhook,
    mergeOpen,
  };
}
