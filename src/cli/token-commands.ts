import type { Command } from 'commander';
import { type InferResponseType, parseResponse } from 'hono/client';
import { tokenRequestSchema } from '../app/tokens.js';
import { ROLES } from '../domain/access.js';
import { type FieldIssue, toFieldIssues } from '../domain/request.js';
import { ApiClient, type ClientOptions, clientOptions } from './api-client.js';
import { invalidInput } from './exit-codes.js';
import { table, writeJson } from './format.js';

/** `token create|list|revoke`: personal API tokens, through the server (an admin's token). */

type Tokens = ApiClient['api']['tokens'];
type Created = InferResponseType<Tokens['$post'], 201>;
type Listed = InferResponseType<Tokens['$get'], 200>['tokens'][number];

/** A token's public id, as the server makes them: checked here so a typo is not sent. */
const TOKEN_ID = /^tok_[A-Za-z0-9_-]{16}$/;

interface CreateOptions extends ClientOptions {
  user?: string;
  role?: string;
  env?: string;
  json?: boolean;
}

export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description("personal API tokens: create, list and revoke them (an admin's token)");

  clientOptions(token.command('create').description('create a token for a person; it is shown once'))
    .option('--user <name>', 'who the token identifies: recorded as requester and in the audit trail')
    .option('--role <role>', `${ROLES.join(', ')}`)
    .option('--env <envs>', 'comma-separated environments the role holds in (default: every one)')
    .option('--json', 'JSON: {token, id, user, role, environments, created_at}')
    .addHelpText(
      'after',
      '\nThe token is printed once, alone on standard output (with --json, in the JSON); the server\nkeeps only its digest. Outside --env environments the token may read, nothing more.',
    )
    .action(async (options: CreateOptions) => {
      const body = createBody(options);
      const created: Created = await parseResponse(new ApiClient(options).api.tokens.$post({ json: body }));
      process.stderr.write(`${describeCreated(created)}\n`);
      if (options.json) writeJson(created);
      else process.stdout.write(`${created.token}\n`);
    });

  clientOptions(token.command('list').description('list the tokens, revoked ones too, newest first'))
    .option(
      '--json',
      'JSON: an array of {id, user, role, environments, created_at, created_by, revoked_at, revoked_by}',
    )
    .action(async (options: ClientOptions & { json?: boolean }) => {
      const { tokens } = await parseResponse(new ApiClient(options).api.tokens.$get());
      if (options.json) {
        writeJson(tokens);
        return;
      }
      process.stdout.write(
        table(
          ['ID', 'USER', 'ROLE', 'ENVIRONMENTS', 'CREATED', 'REVOKED'],
          tokens.map((t: Listed) => [
            t.id,
            t.user,
            t.role,
            scope(t.environments),
            t.created_at,
            t.revoked_at ?? '-',
          ]),
        ),
      );
    });

  clientOptions(
    token
      .command('revoke')
      .description('revoke a token: it is refused from the next call on')
      .argument('<id>', 'the token id (tok_…), from token list'),
  )
    .option('--json', "the revoked token's record as JSON")
    .action(async (id: string, options: ClientOptions & { json?: boolean }) => {
      if (!TOKEN_ID.test(id))
        throw invalidInput([
          { path: 'id', message: 'must be a token id: tok_ and 16 letters, digits, - or _' },
        ]);
      const record = await parseResponse(new ApiClient(options).api.tokens[':id'].$delete({ param: { id } }));
      if (options.json) writeJson(record);
      else
        process.stdout.write(
          `${record.id} (${record.user}, ${record.role}) revoked at ${record.revoked_at ?? '?'}\n`,
        );
    });
}

/**
 * The request body, checked by the server's own schema (the same words), every problem named at once by
 * its flag; the server still checks what only it knows (the policy's environments).
 */
function createBody(options: CreateOptions) {
  const issues: FieldIssue[] = [];
  if (options.user === undefined)
    issues.push({ path: '--user', message: 'is required: who the token identifies' });
  if (options.role === undefined)
    issues.push({ path: '--role', message: `is required: one of ${ROLES.join(', ')}` });
  const environments = options.env?.split(',').map((e) => e.trim());
  if (environments?.some((e) => e === ''))
    issues.push({ path: '--env', message: 'must be environment names separated by commas, none empty' });
  const given = {
    ...(options.user !== undefined && { user: options.user }),
    ...(options.role !== undefined && { role: options.role }),
    ...(environments && { environments }),
  };
  const parsed = tokenRequestSchema.partial().safeParse(given);
  if (!parsed.success)
    issues.push(...toFieldIssues(parsed.error).map((i) => ({ ...i, path: flagOf(i.path) })));
  const { user, role } = parsed.data ?? {};
  if (issues.length > 0 || user === undefined || role === undefined) throw invalidInput(issues);
  return { user, role, ...(environments && { environments }) };
}

/** The flag a field of the body comes from. */
const flagOf = (path: string) =>
  path.startsWith('environments') ? '--env' : path === 'user' || path === 'role' ? `--${path}` : path;

/** Where a role holds: `every` (null) or the environments' names. */
export const scope = (environments: readonly string[] | null) =>
  environments === null ? 'every' : environments.join(',');

function describeCreated(t: Created): string {
  const where = t.environments === null ? 'every environment' : t.environments.join(', ');
  return `token ${t.id} for ${t.user} (${t.role} in ${where}): shown once, keep it now; the server keeps only its digest`;
}
