/**
 * `serve --backend aws`: the local runtime on a deployed stack's DynamoDB table, SNS topic and SQS
 * queues (moto, created from template.yaml), so a team can run workers on its own machines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStack, createStack } from '../support/aws-stack.js';
import { runCli } from '../support/cli.js';
import { type GitHubSimulator, startGitHubSimulator } from '../support/github-simulator.js';
import { type MotoServer, startMoto } from '../support/moto.js';
import { api, type RunningServer, startServer, tempDir, waitFor } from '../support/server.js';

const TOKEN = 'ghp_selfHostedWorkerTokenNeverLogged0123456789';

describe('serve --backend aws: a self-hosted worker polling SQS', () => {
  let moto: MotoServer;
  let stack: AwsStack;
  let sim: GitHubSimulator;
  let server: RunningServer;

  beforeAll(async () => {
    moto = await startMoto();
    sim = await startGitHubSimulator({ owner: 'acme', repo: 'infra', tokens: [TOKEN] });
    stack = await createStack(moto.clientConfig, { parameters: { GitHubRepository: 'acme/infra' } });
    server = await startServer({
      args: ['--backend', 'aws', '--github', 'acme/infra', '--workers', '2'],
      env: { ...moto.env, ...stack.env, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: sim.url },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.stop();
    await moto?.stop();
  });

  it('accepts into DynamoDB and SNS, and its worker takes the message from SQS to an open pull request', async () => {
    const call = api(server);
    const accepted = await call('POST', '/provision', {
      db_name: 'selfhosted',
      engine: 'mysql',
      environment: 'dev',
    });
    expect(accepted.status).toBe(202);
    const id = accepted.json.request_id as string;
    const done = await waitFor(
      () => call('GET', `/requests/${id}`),
      (r) => ['pr_open', 'failed'].includes(r.json.status),
      60_000,
    );
    expect(done.json.status).toBe('pr_open');
    expect(sim.pulls().filter((p) => p.head.ref === 'feature/provision-rds-selfhosted')).toHaveLength(1);
    // The same request, seen through the table the AWS API reads.
    const again = await call('POST', '/provision', {
      db_name: 'selfhosted',
      engine: 'mysql',
      environment: 'dev',
    });
    expect(again.status).toBe(409);
    expect(again.json.request_id).toBe(id);
    expect(server.output.join('\n')).not.toContain(TOKEN);
  });

  it('refuses to start without the stack named, saying which variable is missing', async () => {
    const run = await runCli(
      ['serve', '--backend', 'aws', '--port', '0', '--data-dir', tempDir('aws-missing')],
      {
        env: { ...process.env, STATUS_TABLE: '', TOPIC_ARN: '', QUEUE_URL: '', DEAD_LETTER_QUEUE_URL: '' },
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('STATUS_TABLE');
    expect(run.stderr).toContain('QUEUE_URL');
  });
});
