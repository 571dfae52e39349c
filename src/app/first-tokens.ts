import type { Role } from '../domain/access.js';
import type { TokenRecord, TokenStore } from '../ports.js';
import { recordAudit } from './audit.js';
import type { AppContext } from './context.js';
import { describe, newTokenId, tokenDigest } from './tokens.js';

/** `createdBy` of the tokens a start registers from the data dir, and the audit's actor for them. */
export const FIRST_START = 'first-start';

/** A token the data dir gives (its file or variable) and whose it is. */
export interface GivenToken {
  token: string;
  user: string;
  role: Role;
}

/**
 * The data dir's tokens as personal tokens: the API token is the first admin's ($RDS_PROVISIONER_API_USER
 * or `admin`), the pipeline token the `pipeline` user's.
 */
export function givenTokens(
  tokens: { api: string; pipeline: string },
  apiUser: string | undefined,
): GivenToken[] {
  return [
    { token: tokens.api, user: apiUser || 'admin', role: 'admin' },
    { token: tokens.pipeline, user: 'pipeline', role: 'pipeline' },
  ];
}

/**
 * Registers each given token by its digest, only when no record of that digest exists: a restart
 * registers nothing new, and a revoked first token stays revoked (its record exists). A token given in
 * place of an earlier one of the same role (a variable changed to rotate it) revokes the earlier
 * first-start tokens of that role, as the single token it replaces stopped working before. Each
 * registration and revocation goes into the audit trail. Returns the records registered.
 */
export async function registerGivenTokens(
  ctx: Pick<AppContext, 'audit' | 'clock' | 'newRequestId'>,
  store: TokenStore,
  given: readonly GivenToken[],
): Promise<TokenRecord[]> {
  const registered: TokenRecord[] = [];
  for (const { token, user, role } of given) {
    const digest = tokenDigest(token);
    if (await store.byDigest(digest)) continue;
    const record: TokenRecord = {
      id: newTokenId(),
      user,
      role,
      environments: null,
      digest,
      createdAt: ctx.clock.now().toISOString(),
      createdBy: FIRST_START,
      revokedAt: null,
      revokedBy: null,
    };
    // False: another process on the same data dir registered it meanwhile.
    if (!(await store.create(record))) continue;
    registered.push(record);
    await recordAudit(ctx, {
      actor: FIRST_START,
      action: 'token.create',
      outcome: 'allowed',
      target: record.id,
      detail: describe(record),
    });
    for (const earlier of await store.list()) {
      const superseded =
        earlier.createdBy === FIRST_START &&
        earlier.role === role &&
        earlier.id !== record.id &&
        earlier.revokedAt === null;
      if (!superseded) continue;
      const revoked = await store.revoke(earlier.id, ctx.clock.now(), FIRST_START);
      if (revoked?.changed)
        await recordAudit(ctx, {
          actor: FIRST_START,
          action: 'token.revoke',
          outcome: 'allowed',
          target: earlier.id,
          detail: `${describe(revoked.record)}; replaced by the data dir's new token`,
        });
    }
  }
  return registered;
}
