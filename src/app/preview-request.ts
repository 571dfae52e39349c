import type { Principal } from '../domain/access.js';
import { type CostEstimate, estimateCost } from '../domain/cost.js';
import { branchName } from '../domain/naming.js';
import { resolveRequest } from '../domain/resolve.js';
import { renderPullRequest } from '../render/pull-request.js';
import { renderTerraform } from '../render/terraform.js';
import { type AcceptOutcome, existingOnBase, refusedCreation } from './accept-request.js';
import type { AppContext } from './context.js';

/** The id a preview's file names: no request exists, and none is created. */
export const DRY_RUN_ID = 'dry-run';

export type PreviewOutcome =
  | {
      kind: 'preview';
      filePath: string;
      branch: string;
      base: string;
      content: string;
      pullRequest: { title: string; body: string };
      cost: CostEstimate;
    }
  | Exclude<AcceptOutcome, { kind: 'accepted' }>;

/**
 * What accepting the request would write, checked as acceptRequest checks it (the principal's
 * permission, schema, policy, the database on the base branch or in flight) but recorded nowhere: nothing
 * is queued or stored (a refusal is recorded in the audit all the same).
 */
export async function previewRequest(
  ctx: AppContext,
  input: unknown,
  principal: Principal,
): Promise<PreviewOutcome> {
  const refused = await refusedCreation(ctx, principal, input);
  if (refused) return refused;
  const requester = principal.id;
  const resolved = resolveRequest(input, ctx.policy.policy, { requestId: DRY_RUN_ID });
  if (!resolved.ok) return { kind: 'invalid', issues: resolved.issues };
  const { spec } = resolved.value;
  const { conventions } = ctx;
  const path = spec.location.file;

  const onBase = await existingOnBase(ctx, spec.dbName);
  if (onBase) return onBase;
  const inFlight = await ctx.store.inFlight(spec.dbName);
  if (inFlight) {
    return {
      kind: 'conflict',
      requestId: inFlight,
      message: `a request for database ${spec.dbName} is still in flight: ${inFlight}`,
    };
  }

  const branch = branchName(spec.dbName, conventions);
  const text = renderPullRequest({
    spec,
    requester,
    policySource: ctx.policy.source,
    branch,
    base: conventions.base,
  });
  return {
    kind: 'preview',
    filePath: path,
    branch,
    base: conventions.base,
    content: renderTerraform(spec),
    pullRequest: { title: text.title, body: text.body },
    cost: estimateCost(spec),
  };
}
