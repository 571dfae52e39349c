import * as z from 'zod';
import { GITHUB_REPOSITORY_PATTERN } from '../github-from-env.js';
import { parseEnv, StackResourcesEnv } from '../stack-env.js';

/** CloudFormation cannot leave a variable out by a condition: an empty value reads as unset. */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** An IAM role or user ARN (a comma cannot be in one here: it separates the list). */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=.@/-]+$/;
const NOT_PRINCIPAL_ARN = 'must be an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME)';

/**
 * Comma-separated principal ARNs (the plan, apply and prod apply roles each sign their own reports):
 * spaces around an entry are dropped and an empty entry names no one. A malformed entry is named by its
 * place, never its value; none left reads as unset.
 */
const principalArns = z.string().transform((value, ctx) => {
  const entries = value.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    if (entry === '' || PRINCIPAL_ARN.test(entry)) return;
    const place = entries.length === 1 ? '' : `entry ${index + 1} of ${entries.length} `;
    ctx.addIssue({ code: 'custom', message: `${place}${NOT_PRINCIPAL_ARN}` });
  });
  const arns = entries.filter((entry) => entry !== '');
  return arns.length > 0 ? arns : undefined;
});

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
  /** AUTH_MODE iam: every IAM role CI reports with (or IAM user), comma-separated; empty or unset: no reports. */
  PIPELINE_PRINCIPAL_ARN: unsetWhenEmpty(principalArns),
  /** AUTH_MODE api_key: the id of the pipeline's own API key; empty or unset: no reports. */
  PIPELINE_API_KEY_ID: unsetWhenEmpty(z.string().regex(/^[A-Za-z0-9]+$/, 'must be an API key id')),
});

export type LambdaConfig = z.infer<typeof LambdaEnv>;

/** Who may report back, as the auth mode identifies callers. */
export const pipelinePrincipal = (config: LambdaConfig) => ({
  arns: config.PIPELINE_PRINCIPAL_ARN,
  apiKeyId: config.PIPELINE_API_KEY_ID,
});

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
