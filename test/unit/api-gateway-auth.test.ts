import { describe, expect, it } from 'vitest';
import {
  ApiGatewayAuthenticator,
  type ApiGatewayAuthMode,
  type PipelinePrincipal,
} from '../../src/adapters/aws/api-gateway-auth.js';
import type { AccessPolicy, Policy } from '../../src/domain/policy.js';
import type { AuthRequest } from '../../src/ports.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { type ApiCall, apiGatewayEvent } from '../support/lambda-events.js';

/**
 * Who reaches what behind API Gateway: the caller is read from the REST API's Lambda proxy event
 * (requestContext.identity), as AWS_IAM or an API key authenticated it. The pipeline's principal reaches
 * the reports and nothing else; every other caller holds the role the policy's `access` maps it to.
 */

const { policy: packaged } = loadPolicyFile();
/** The packaged policy with this `access` block (defaults: every unmapped caller a requester). */
const withAccess = (access: Partial<AccessPolicy> = {}): Policy => ({
  ...packaged,
  access: { default_role: 'requester', principals: [], ...access },
});

const ACCOUNT = '123456789012';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const PIPELINE_ROLE = `arn:aws:iam::${ACCOUNT}:role/ci/rds-provisioner-pipeline`;
/** What API Gateway puts in userArn for a call signed with credentials of an assumed role. */
const session = (role: string, account = ACCOUNT, partition = 'aws') =>
  `arn:${partition}:sts::${account}:assumed-role/${role}/circleci-8731`;
const PIPELINE_SESSION = session('rds-provisioner-pipeline');

/** The request an authenticator sees: headers, and the event under env (as hono/aws-lambda passes it). */
const request = (call: Omit<ApiCall, 'method' | 'path'>) => {
  const event = apiGatewayEvent({ method: 'POST', path: '/reports/apply', body: {}, ...call });
  return { header: (name: string) => event.headers[name.toLowerCase()], env: { event } };
};

/** The caller's id when the authenticator gives them the pipeline role (`reports`) or another (`people`). */
const seenAs = (mode: ApiGatewayAuthMode, pipeline: PipelinePrincipal, asPipeline: boolean) => {
  const auth = new ApiGatewayAuthenticator({ mode, policy: withAccess(), pipeline });
  return {
    authenticate: async (call: AuthRequest) => {
      const result = await auth.authenticate(call);
      return result.ok && (result.principal.role === 'pipeline') === asPipeline ? result.principal.id : null;
    },
  };
};

const iam = (pipeline: PipelinePrincipal = {}) => ({
  requesters: seenAs('iam', pipeline, false),
  pipeline: seenAs('iam', pipeline, true),
});

describe('API Gateway (AWS_IAM): the pipeline principal', () => {
  it('takes a session of the configured role, path and all, as the pipeline and refuses it as a requester', async () => {
    const auth = iam({ arns: [PIPELINE_ROLE] });
    expect(await auth.pipeline.authenticate(request({ userArn: PIPELINE_SESSION }))).toBe(PIPELINE_SESSION);
    expect(await auth.requesters.authenticate(request({ userArn: PIPELINE_SESSION }))).toBeNull();
  });

  it('takes a session of a role configured without a path', async () => {
    const auth = iam({ arns: [`arn:aws:iam::${ACCOUNT}:role/deployer`] });
    expect(await auth.pipeline.authenticate(request({ userArn: session('deployer') }))).toBe(
      session('deployer'),
    );
  });

  it('takes the configured IAM user itself', async () => {
    const ci = `arn:aws:iam::${ACCOUNT}:user/ci`;
    const auth = iam({ arns: [ci] });
    expect(await auth.pipeline.authenticate(request({ userArn: ci }))).toBe(ci);
    expect(await auth.requesters.authenticate(request({ userArn: ci }))).toBeNull();
  });

  it.each([
    ['a requester', ALICE],
    ['another role', session('rds-provisioner-pipeline-old')],
    ['a role whose name the configured one ends with', session('pipeline')],
    ['the same role name in another account', session('rds-provisioner-pipeline', '210987654321')],
    ['the same role in another partition', session('rds-provisioner-pipeline', ACCOUNT, 'aws-cn')],
    [
      'the role ARN itself (never a caller: callers are sessions)',
      `arn:aws:iam::${ACCOUNT}:role/rds-provisioner-pipeline`,
    ],
    ['a user named like the role', `arn:aws:iam::${ACCOUNT}:user/rds-provisioner-pipeline`],
  ])('refuses %s as the pipeline', async (_, userArn) => {
    const auth = iam({ arns: [PIPELINE_ROLE] });
    expect(await auth.pipeline.authenticate(request({ userArn }))).toBeNull();
  });

  it('takes a session of each configured role (plan and apply roles), and refuses a third', async () => {
    const auth = iam({
      arns: [
        `arn:aws:iam::${ACCOUNT}:role/terraform-plan`,
        `arn:aws:iam::${ACCOUNT}:role/ci/terraform-apply`,
      ],
    });
    for (const role of ['terraform-plan', 'terraform-apply']) {
      expect(await auth.pipeline.authenticate(request({ userArn: session(role) }))).toBe(session(role));
      expect(await auth.requesters.authenticate(request({ userArn: session(role) }))).toBeNull();
    }
    const third = session('terraform-prod-apply');
    expect(await auth.pipeline.authenticate(request({ userArn: third }))).toBeNull();
    expect(await auth.requesters.authenticate(request({ userArn: third }))).toBe(third);
  });

  it('lets requesters through, other roles included', async () => {
    const auth = iam({ arns: [PIPELINE_ROLE] });
    expect(await auth.requesters.authenticate(request({ userArn: ALICE }))).toBe(ALICE);
    const other = session('platform-admin');
    expect(await auth.requesters.authenticate(request({ userArn: other }))).toBe(other);
  });

  it('takes no report at all when no pipeline principal is configured', async () => {
    for (const auth of [iam(), iam({ arns: [] })])
      for (const userArn of [PIPELINE_SESSION, ALICE]) {
        expect(await auth.pipeline.authenticate(request({ userArn }))).toBeNull();
        expect(await auth.requesters.authenticate(request({ userArn }))).toBe(userArn);
      }
  });

  it('refuses a call without an identity (a route deployed without auth), either way', async () => {
    const auth = iam({ arns: [PIPELINE_ROLE] });
    expect(await auth.pipeline.authenticate(request({ userArn: null }))).toBeNull();
    expect(await auth.requesters.authenticate(request({ userArn: null }))).toBeNull();
    expect(await auth.pipeline.authenticate({ header: () => undefined })).toBeNull();
  });
});

describe('API Gateway (API keys): the pipeline key', () => {
  const pipeline = { apiKeyId: 'pk7pipeline1' };
  const requesters = seenAs('api_key', pipeline, false);
  const reports = seenAs('api_key', pipeline, true);

  it("takes the pipeline's key as the pipeline, and refuses it as a requester", async () => {
    const call = request({ userArn: null, apiKeyId: 'pk7pipeline1' });
    expect(await reports.authenticate(call)).toBe('api-key:pk7pipeline1');
    expect(await requesters.authenticate(call)).toBeNull();
  });

  it("takes a requester's key as a requester, and refuses it as the pipeline", async () => {
    const call = request({ userArn: null, apiKeyId: 'rq1requester' });
    expect(await requesters.authenticate(call)).toBe('api-key:rq1requester');
    expect(await reports.authenticate(call)).toBeNull();
  });

  it('ignores a signed identity in api_key mode: only the key counts', async () => {
    const auth = seenAs('api_key', { arns: [PIPELINE_ROLE] }, true);
    expect(await auth.authenticate(request({ userArn: PIPELINE_SESSION }))).toBeNull();
  });

  it('takes no report without a pipeline key', async () => {
    const auth = seenAs('api_key', {}, true);
    expect(await auth.authenticate(request({ userArn: null, apiKeyId: 'pk7pipeline1' }))).toBeNull();
  });
});

describe('API Gateway: every caller but the pipeline holds the role the policy maps it to', () => {
  const DBA_ROLE = `arn:aws:iam::${ACCOUNT}:role/platform/dba`;
  const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
  const authenticate = (
    mode: ApiGatewayAuthMode,
    access: Partial<AccessPolicy>,
    call: Omit<ApiCall, 'method' | 'path'>,
    pipeline: PipelinePrincipal = { arns: [PIPELINE_ROLE] },
  ) =>
    new ApiGatewayAuthenticator({ mode, policy: withAccess(access), pipeline }).authenticate(request(call));

  it("gives a session of a role access.principals names that entry's role and environments", async () => {
    const access = {
      principals: [
        { id: DBA_ROLE, role: 'approver' as const, environments: ['dev'] },
        { id: BOB, role: 'admin' as const },
      ],
    };
    expect(await authenticate('iam', access, { userArn: session('dba') })).toEqual({
      ok: true,
      principal: { id: session('dba'), role: 'approver', environments: ['dev'], via: 'iam' },
    });
    expect(await authenticate('iam', access, { userArn: BOB })).toEqual({
      ok: true,
      principal: { id: BOB, role: 'admin', environments: null, via: 'iam' },
    });
  });

  it('gives a caller access.principals does not name access.default_role, in every environment', async () => {
    const access = { default_role: 'approver' as const, principals: [{ id: BOB, role: 'admin' as const }] };
    expect(await authenticate('iam', access, { userArn: ALICE })).toEqual({
      ok: true,
      principal: { id: ALICE, role: 'approver', environments: null, via: 'iam' },
    });
  });

  it('maps an API key by its `api-key:ID` identity', async () => {
    const access = { principals: [{ id: 'api-key:ops1key', role: 'admin' as const }] };
    expect(await authenticate('api_key', access, { userArn: null, apiKeyId: 'ops1key' })).toEqual({
      ok: true,
      principal: { id: 'api-key:ops1key', role: 'admin', environments: null, via: 'api_key' },
    });
    expect(await authenticate('api_key', access, { userArn: null, apiKeyId: 'rq1requester' })).toEqual({
      ok: true,
      principal: { id: 'api-key:rq1requester', role: 'requester', environments: null, via: 'api_key' },
    });
  });

  it('refuses a caller the policy gives no role (default_role null) as forbidden, naming them and the rule', async () => {
    const access = { default_role: null, principals: [{ id: DBA_ROLE, role: 'approver' as const }] };
    expect(await authenticate('iam', access, { userArn: ALICE })).toEqual({
      ok: false,
      forbidden: true,
      actor: ALICE,
      reason: `${ALICE} holds no role: access.principals does not name it and access.default_role is null`,
    });
    expect(await authenticate('api_key', access, { userArn: null, apiKeyId: 'rq1requester' })).toMatchObject({
      ok: false,
      forbidden: true,
      actor: 'api-key:rq1requester',
    });
    // The mapped caller and the pipeline are unaffected.
    expect(await authenticate('iam', access, { userArn: session('dba') })).toMatchObject({ ok: true });
    expect(await authenticate('iam', access, { userArn: PIPELINE_SESSION })).toMatchObject({
      ok: true,
      principal: { role: 'pipeline' },
    });
  });

  it('keeps the pipeline the pipeline even when access.principals names its role', async () => {
    const access = { principals: [{ id: PIPELINE_ROLE, role: 'admin' as const }] };
    expect(await authenticate('iam', access, { userArn: PIPELINE_SESSION })).toEqual({
      ok: true,
      principal: { id: PIPELINE_SESSION, role: 'pipeline', environments: null, via: 'iam' },
    });
  });
});
