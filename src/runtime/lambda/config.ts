import * as z from 'zod';
import { GITHUB_REPOSITORY_PATTERN } from '../github-from-env.js';
import { parseEnv, StackResourcesEnv } from '../stack-env.js';

/** What the functions read; the queues only where a function needs them (see required()). */
export const LambdaEnv = StackResourcesEnv.partial({ QUEUE_URL: true, DEAD_LETTER_QUEUE_URL: true }).extend({
  MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).default(5),
  /** Worker containers that may run at once: each paces GitHub calls at its share of the limits. */
  WORKER_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(2),
  GITHUB_REPOSITORY: z.string().regex(GITHUB_REPOSITORY_PATTERN, 'must be OWNER/REPO'),
  GITHUB_TOKEN_SECRET: z.string().min(1).default('github/pat'),
  GITHUB_WEBHOOK_SECRET_NAME: z.string().min(1).default('github/webhook-secret'),
  GITHUB_API_URL: z.url().optional(),
  /** In-process retries of a failed GitHub call before the message goes back to the queue. */
  GITHUB_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  AUTH_MODE: z.enum(['iam', 'api_key']).default('iam'),
});

export type LambdaConfig = z.infer<typeof LambdaEnv>;

/** A deployment mistake: names each variable and why, never a value. */
export class LambdaConfigError extends Error {
  override name = 'LambdaConfigError';
}

/** The functions' configuration from their environment (template.yaml sets it). */
export function lambdaConfig(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  return parseEnv(
    LambdaEnv,
    env,
    (problems) => new LambdaConfigError(`invalid function environment: ${problems}`),
  );
}

/** A variable only some functions need; the error names it when it is missing. */
export function required<K extends 'QUEUE_URL' | 'DEAD_LETTER_QUEUE_URL'>(
  config: LambdaConfig,
  name: K,
): string {
  const value = config[name];
  if (!value) throw new LambdaConfigError(`invalid function environment: ${name} is not set`);
  return value;
}
