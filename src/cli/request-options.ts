import type { Command } from 'commander';
import { invalidInput } from './exit-codes.js';

/** Field options shared by every command that builds a request (`render`, and later `request`). */
export interface RequestOptions {
  dbName?: string;
  engine?: string;
  environment?: string;
  deployment?: string;
  size?: string;
  engineVersion?: string;
  instances?: string;
  owner?: string;
  tag?: string[];
}

export function requestOptions(command: Command): Command {
  return command
    .option('--db-name <name>', 'database name: 1-40 of a-z, 0-9, -; starts with a letter')
    .option('--engine <engine>', 'mysql, postgres or mariadb')
    .option('--environment <env>', 'a configured environment, e.g. dev, staging, prod')
    .option('--deployment <kind>', 'aurora-serverless, aurora or instance (default: the policy)')
    .option('--size <size>', 'small, medium, large or xlarge (default: the policy)')
    .option('--engine-version <version>', 'one the policy allows (default: the policy)')
    .option('--instances <n>', 'Aurora writer plus readers, 1-5 (default: the policy)')
    .option('--owner <owner>', 'owning team or person (required in prod by default)')
    .option('--tag <key=value>', 'extra tag, repeatable', (value: string, prev: string[] = []) => [
      ...prev,
      value,
    ]);
}

/**
 * Builds the request body from field options. Values stay as typed so the request schema, not the
 * CLI, decides what is wrong: `--instances two` is reported as the field `instances`.
 */
export function requestFromOptions(options: RequestOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) body[key] = value;
  };
  set('db_name', options.dbName);
  set('engine', options.engine);
  set('environment', options.environment);
  set('deployment', options.deployment);
  set('size', options.size);
  set('engine_version', options.engineVersion);
  set('instances', options.instances === undefined ? undefined : numberOrText(options.instances));
  set('owner', options.owner);
  if (options.tag) set('tags', parseTags(options.tag));
  return body;
}

export const numberOrText = (text: string): unknown =>
  /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text;

export function parseTags(pairs: string[]): Record<string, string> {
  const tags: Record<string, string> = Object.create(null); // so `--tag __proto__=x` is a key, refused by name
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1)
      throw invalidInput([{ path: 'tags', message: `--tag expects key=value, got ${JSON.stringify(pair)}` }]);
    tags[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return tags;
}
