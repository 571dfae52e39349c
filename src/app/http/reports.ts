import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppContext } from '../context.js';
import { type ReportOutcome, reportApply, reportDrift, reportPlan } from '../pipeline-reports.js';
import { apiRoutes, invalidRequest } from './api-routes.js';
import { MAX_REPORT_BODY_BYTES } from './body-limits.js';
import {
  ApplyReportAnswer,
  ApplyReportBody,
  ConflictError,
  DriftReportAnswer,
  DriftReportBody,
  HEADERS_TOO_LARGE,
  InvalidRequestError,
  json,
  NotFoundError,
  PayloadTooLargeError,
  PlanReportAnswer,
  PlanReportBody,
  SECURED,
  UNAUTHORIZED,
  UNAVAILABLE,
  UnsupportedMediaTypeError,
} from './schemas.js';
import { planView } from './views.js';

/**
 * What CI reports back: POST /reports/plan, /reports/apply, /reports/drift. Only the pipeline's
 * credential reaches these routes (and it reaches no other).
 */

const common = (what: string) => ({
  400: json(
    InvalidRequestError,
    `Invalid report: each bad field named; a value Terraform marks sensitive names its address (${what})`,
  ),
  401: UNAUTHORIZED,
  404: json(NotFoundError, 'No request, branch or commit the report belongs to'),
  409: json(ConflictError, 'A report for an older commit, or for another pull request'),
  413: json(PayloadTooLargeError, `Body over ${MAX_REPORT_BODY_BYTES} bytes`),
  415: json(UnsupportedMediaTypeError, 'Body is not application/json'),
  431: HEADERS_TOO_LARGE,
  503: UNAVAILABLE,
});

const body = <T>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });

const planRoute = createRoute({
  method: 'post',
  path: '/reports/plan',
  summary: "Report a pull request's plan",
  description:
    "The plan job's `terraform show -json` of its saved plan, for the request in flight on the branch. Shown on the pull request as one comment, edited in place for each new plan; a destroy or replacement of a database the request did not ask to retire is flagged.",
  security: SECURED,
  request: { body: body(PlanReportBody) },
  responses: { 200: json(PlanReportAnswer, 'Recorded (or a replay: changed false)'), ...common('plan') },
});

const applyRoute = createRoute({
  method: 'post',
  path: '/reports/apply',
  summary: "Report an apply's start or outcome",
  description:
    'For the requests merged as the commit: started → applying; succeeded → ready, with the connection details read from the state; failed → apply_failed with the reason from Terraform.',
  security: SECURED,
  request: { body: body(ApplyReportBody) },
  responses: { 200: json(ApplyReportAnswer, 'Recorded (changed false: a replay)'), ...common('state') },
});

const driftRoute = createRoute({
  method: 'post',
  path: '/reports/drift',
  summary: 'Report the nightly drift plan of the base branch',
  description:
    "Per database the plan covers: drifted (the plan's resource_drift, or changes nobody merged), pending (a merged change waiting for the maintenance window), or clean.",
  security: SECURED,
  request: { body: body(DriftReportBody) },
  responses: { 200: json(DriftReportAnswer, 'Recorded (changed false: nothing new)'), ...common('plan') },
});

function refused(c: Context, outcome: Exclude<ReportOutcome<unknown>, { kind: 'ok' }>) {
  if (outcome.kind === 'invalid') return c.json(invalidRequest(outcome.issues), 400);
  if (outcome.kind === 'not_found')
    return c.json({ error: 'not_found' as const, message: outcome.message }, 404);
  return c.json({ error: 'conflict' as const, request_id: null, message: outcome.message }, 409);
}

export function reportsApi(ctx: AppContext) {
  return apiRoutes()
    .openapi(planRoute, async (c) => {
      const outcome = await reportPlan(ctx, c.req.valid('json'));
      if (outcome.kind !== 'ok') return refused(c, outcome);
      const { requestId, changed, plan } = outcome.value;
      return c.json({ request_id: requestId, changed, plan: planView(plan) }, 200);
    })
    .openapi(applyRoute, async (c) => {
      const outcome = await reportApply(ctx, c.req.valid('json'));
      if (outcome.kind !== 'ok') return refused(c, outcome);
      const { commit, requests } = outcome.value;
      return c.json(
        {
          commit,
          requests: requests.map((r) => ({
            request_id: r.requestId,
            db_name: r.dbName,
            status: r.status,
            changed: r.changed,
          })),
        },
        200,
      );
    })
    .openapi(driftRoute, async (c) => {
      const outcome = await reportDrift(ctx, c.req.valid('json'));
      if (outcome.kind !== 'ok') return refused(c, outcome);
      const { commit, databases } = outcome.value;
      return c.json(
        {
          commit,
          databases: databases.map((d) => ({ db_name: d.dbName, status: d.status, changed: d.changed })),
        },
        200,
      );
    });
}

export type ReportsApi = ReturnType<typeof reportsApi>;
