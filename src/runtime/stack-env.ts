import * as z from 'zod';

/** The stack's resources, by the variables template.yaml gives the functions (and names in its outputs). */
export const StackResourcesEnv = z.object({
  STATUS_TABLE: z.string().min(1),
  TOPIC_ARN: z.string().startsWith('arn:'),
  QUEUE_URL: z.url(),
  DEAD_LETTER_QUEUE_URL: z.url(),
});

/** An environment read against its schema; a mistake names each variable and why, never a value. */
export function parseEnv<T extends z.ZodType>(
  schema: T,
  env: NodeJS.ProcessEnv,
  fail: (problems: string) => Error,
): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw fail(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
}
