import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { type Principal, ROLES } from '../domain/access.js';
import { type FieldIssue, toFieldIssues } from '../domain/request.js';
import type { TokenRecord, TokenStore } from '../ports.js';
import { recordAudit } from './audit.js';
import type { AppContext } from './context.js';

/**
 * Personal API tokens: made, listed and revoked by an admin (the HTTP app checks the role). A token is
 * shown once, when it is made; the store keeps only its SHA-256 digest.
 */

/** What a token string starts with: recognisable in a leaked log or a secret scanner's rules. */
export const TOKEN_PREFIX = 'rdsp_';

/** The token string: 256 random bits, base64url. */
export const newToken = () => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
/** A token's public id: 96 random bits, 16 base64url characters. */
export const newTokenId = () => `tok_${randomBytes(12).toString('base64url')}`;
/** How a token is stored and looked up: hex SHA-256 (a token is 256 random bits, nothing to guess). */
export const tokenDigest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Who a token identifies: what requests record as their requester and the audit as the actor. Letters,
 * digits and `. _ @ + -` (an e-mail address fits): no `:` so that no token passes for `github:LOGIN`,
 * `api-key:ID` or an ARN, no space or control character to confuse a log or a table.
 */
const USER = /^[A-Za-z0-9][A-Za-z0-9._@+-]*$/;
export const USER_MAX = 100;

const quoted = (value: unknown) => JSON.stringify(String(value).slice(0, 40));

export const tokenRequestSchema = z
  .object({
    user: z
      .string()
      .min(1, { message: 'must not be empty' })
      .max(USER_MAX, { message: `must be at most ${USER_MAX} characters` })
      .regex(USER, {
        message: 'must start with a letter or digit and hold only letters, digits and . _ @ + -',
      }),
    role: z.enum(ROLES, {
      error: (issue) => `unknown role ${quoted(issue.input)}: one of ${ROLES.join(', ')}`,
    }),
    environments: z
      .array(z.string().max(64))
      .min(1, { message: 'must name at least one environment; leave it out for every environment' })
      .max(32)
      .nullish()
      .describe(
        'The environments the role holds in; outside them the token may read, nothing more. Absent or null: every environment.',
      ),
  })
  .strict();
export type TokenRequest = z.infer<typeof tokenRequestSchema>;

export type CreateTokenOutcome =
  | { kind: 'created'; token: string; record: TokenRecord }
  | { kind: 'invalid'; issues: FieldIssue[] };

/**
 * Makes a token for a user with a role, scoped to environments of the policy when given, and records it
 * in the audit (user and role, never the token). The token is returned once, here.
 */
export async function createToken(
  ctx: AppContext,
  tokens: TokenStore,
  principal: Principal,
  input: unknown,
): Promise<CreateTokenOutcome> {
  const parsed = tokenRequestSchema.safeParse(input);
  if (!parsed.success) return { kind: 'invalid', issues: toFieldIssues(parsed.error) };
  const { user, role } = parsed.data;
  const known = Object.keys(ctx.policy.policy.environments);
  const environments = parsed.data.environments ? [...new Set(parsed.data.environments)] : null;
  const issues = (parsed.data.environments ?? []).flatMap((name, index) =>
    Object.hasOwn(ctx.policy.policy.environments, name)
      ? []
      : [
          {
            path: `environments.${index}`,
            message: `${quoted(name)} is not an environment of the policy (${known.join(', ')})`,
          },
        ],
  );
  if (issues.length > 0) return { kind: 'invalid', issues };

  // 256 and 96 random bits: a second try is for the impossible, a third failure is a broken store.
  for (let attempt = 0; attempt < 3; attempt++) {
    const token = newToken();
    const record: TokenRecord = {
      id: newTokenId(),
      user,
      role,
      environments,
      digest: tokenDigest(token),
      createdAt: ctx.clock.now().toISOString(),
      createdBy: principal.id,
      revokedAt: null,
      revokedBy: null,
    };
    if (!(await tokens.create(record))) continue;
    await recordAudit(ctx, {
      actor: principal,
      action: 'token.create',
      outcome: 'allowed',
      target: record.id,
      detail: describe(record),
    });
    return { kind: 'created', token, record };
  }
  throw new Error('the token store refused three new tokens with fresh random ids');
}

export type RevokeTokenOutcome =
  | { kind: 'revoked'; record: TokenRecord }
  | { kind: 'not_found' }
  | { kind: 'invalid'; issues: FieldIssue[] };

/**
 * Revokes a token: refused from the next call on. A token revoked already stays as it was (its first
 * revocation kept, nothing recorded again). Not the token the call is made with: an admin would lock
 * themselves out (and a script listing and revoking tokens would cut its own branch); another admin
 * revokes it, or the first-start token is rotated.
 */
export async function revokeToken(
  ctx: AppContext,
  tokens: TokenStore,
  principal: Principal,
  id: string,
): Promise<RevokeTokenOutcome> {
  if (principal.tokenId === id)
    return {
      kind: 'invalid',
      issues: [
        {
          path: 'id',
          message:
            "is the token this call is made with: revoke it with another admin's token (or give the server a new first-start token)",
        },
      ],
    };
  const result = await tokens.revoke(id, ctx.clock.now(), principal.id);
  if (!result) return { kind: 'not_found' };
  if (result.changed)
    await recordAudit(ctx, {
      actor: principal,
      action: 'token.revoke',
      outcome: 'allowed',
      target: result.record.id,
      detail: describe(result.record),
    });
  return { kind: 'revoked', record: result.record };
}

/** A token in the audit: whose it is and what it may, never the token. */
export function describe(record: TokenRecord): string {
  const scope = record.environments === null ? 'every environment' : record.environments.join(', ');
  return `user ${record.user}, role ${record.role}, in ${scope}`;
}
