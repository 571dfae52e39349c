import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { changeV1Schema } from '../../domain/change.js';
import { databaseFileMatcher } from '../../domain/layout.js';
import type { DatabaseReport } from '../../domain/reports.js';
import { DB_NAME_MAX, ENGINES, toFieldIssues } from '../../domain/request.js';
import type { RequestRecord } from '../../domain/status.js';
import type { AppContext } from '../context.js';
import { databaseOnBase } from '../current-database.js';
import { type Inventory, type InventoryEntry, settingsOf } from '../inventory.js';
import { type LifecycleOutcome, requestChange, requestRetire } from '../request-lifecycle.js';
import { apiRoutes, INVALID_CURSOR, invalidRequest, refusalAnswer } from './api-routes.js';
import {
  Accepted,
  ConflictError,
  ConnectionView,
  CostView,
  DriftView,
  FORBIDDEN_READ,
  forbidden,
  HEADERS_TOO_LARGE,
  InvalidRequestError,
  json,
  NotFoundError,
  PayloadTooLargeError,
  RequestView,
  SECURED,
  UNAUTHORIZED,
  UNAVAILABLE,
  UnsupportedMediaTypeError,
} from './schemas.js';
import { connectionOf, connectionView, costView, driftView, requestView } from './views.js';

/** The inventory and a database's day-2 life: list, show, change (PATCH) and retire (DELETE). */

const DatabaseSummary = z
  .object({
    db_name: z.string(),
    environment: z.string().nullable(),
    engine: z.enum(ENGINES).nullable(),
    deployment: z.string().nullable(),
    engine_version: z.string().nullable(),
    size: z.string().nullable(),
    instances: z.number().int().nullable(),
    owner: z.string().nullable(),
    tags: z
      .record(z.string(), z.string())
      .openapi({ description: "The requester's tags (not the service's own four)." }),
    file: z.string().openapi({ description: "The database's file on the base branch." }),
    managed: z.enum(['generated', 'hand-edited', 'foreign']).openapi({
      description:
        'generated: exactly as rds-provisioner wrote it; hand-edited: changed by hand since (a change is refused rather than overwrite it); foreign: not written by rds-provisioner.',
    }),
    problem: z.string().nullable().openapi({ description: 'Why the file is hand-edited or foreign.' }),
    request_id: z
      .string()
      .nullable()
      .openapi({ description: 'The request that wrote the file on the base branch.' }),
    in_flight: z
      .string()
      .nullable()
      .openapi({ description: 'The request in flight for this database, if any.' }),
    connection: ConnectionView.nullable().openapi({
      description: 'How to reach it, from the last apply the pipeline reported (never a password).',
    }),
    drift: DriftView.nullable().openapi({
      description: "The nightly drift plan's verdict; null when none has been reported.",
    }),
  })
  .openapi('DatabaseSummary');

const DatabaseList = z
  .object({ databases: z.array(DatabaseSummary), next_cursor: z.string().nullable() })
  .openapi('DatabaseList');

const DatabaseDetail = DatabaseSummary.extend({
  content: z.string().openapi({ description: 'The file on the base branch.' }),
  requests: z
    .array(RequestView)
    .openapi({ description: 'Every request for this name, newest first (at most 100).' }),
}).openapi('Database');

const LifecyclePreview = z
  .object({
    dry_run: z.literal(true),
    file_path: z.string(),
    branch: z.string(),
    base: z.string(),
    content: z
      .string()
      .openapi({ description: "The file as the pull request leaves it; '' when it removes the file." }),
    diff: z.string().openapi({ description: 'Unified diff of the file, base branch → pull request.' }),
    pull_request: z.object({ title: z.string(), body: z.string() }),
    cost: CostView,
  })
  .openapi('LifecyclePreview');

const DbNameParam = z.object({
  db_name: z
    .string()
    .max(DB_NAME_MAX)
    .regex(/^[a-z][a-z0-9-]*$/, { message: 'is not a database name (lowercase letters, digits and hyphens)' })
    .openapi({ param: { name: 'db_name', in: 'path' }, example: 'my-app-db' }),
});

const DryRunQuery = z.object({
  dry_run: z
    .enum(['true', 'false'])
    .optional()
    .openapi({
      param: { name: 'dry_run', in: 'query' },
      description: 'true: answer with the diff and pull request it would open; nothing is recorded',
    }),
});

const ListQuery = z.object({
  environment: z
    .string()
    .max(32)
    .optional()
    .openapi({ param: { name: 'environment', in: 'query' } }),
  engine: z
    .enum(ENGINES)
    .optional()
    .openapi({ param: { name: 'engine', in: 'query' } }),
  owner: z
    .string()
    .max(128)
    .optional()
    .openapi({ param: { name: 'owner', in: 'query' } }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query' } }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' } }),
});

const NOT_FOUND = json(NotFoundError, 'No database of that name on the base branch');
const CONFLICT = json(
  ConflictError,
  'Another request for the database is in flight, or its file was edited by hand',
);

const listRoute = createRoute({
  method: 'get',
  path: '/databases',
  summary: 'The databases on the base branch, by name',
  security: SECURED,
  request: { query: ListQuery },
  responses: {
    200: json(DatabaseList, 'A page of databases; pass next_cursor as cursor for the next'),
    400: json(InvalidRequestError, 'Invalid parameter'),
    401: UNAUTHORIZED,
    403: FORBIDDEN_READ,
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

const showRoute = createRoute({
  method: 'get',
  path: '/databases/{db_name}',
  summary: 'A database: its settings, its file, and every request for it',
  security: SECURED,
  request: { params: DbNameParam },
  responses: {
    200: json(DatabaseDetail, 'The database'),
    400: json(InvalidRequestError, 'Invalid parameter'),
    401: UNAUTHORIZED,
    403: FORBIDDEN_READ,
    404: NOT_FOUND,
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

const changeRoute = createRoute({
  method: 'patch',
  path: '/databases/{db_name}',
  summary: 'Change a database: a reviewed pull request that changes only what is named',
  description:
    "A JSON merge patch of size, instances, engine_version, owner, tags (null removes a tag), deployment (aurora ↔ aurora-serverless) and allow_major_version_upgrade. The caller's role must be allowed to change databases in its environment (403, before the patch is judged); then checked against the environment's policy; queued like a creation.",
  security: SECURED,
  request: {
    params: DbNameParam,
    query: DryRunQuery,
    body: {
      content: {
        'application/merge-patch+json': { schema: changeV1Schema },
        'application/json': { schema: changeV1Schema },
      },
      required: true,
    },
  },
  responses: {
    200: json(LifecyclePreview, 'dry_run=true: the diff and pull request it would open; nothing recorded'),
    202: json(Accepted, 'Queued; follow it at status_url'),
    400: json(InvalidRequestError, 'Every problem with the change, each naming its field'),
    401: UNAUTHORIZED,
    403: forbidden(
      "The caller's role may not change databases in the database's environment (environments.<env>.access.change), or holds it only in other environments; judged before the change itself (a 404 or 409 about the database comes first: its environment is its file's)",
    ),
    404: NOT_FOUND,
    409: CONFLICT,
    413: json(PayloadTooLargeError, 'Body too large'),
    415: json(UnsupportedMediaTypeError, 'Body is not JSON'),
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

const retireRoute = createRoute({
  method: 'delete',
  path: '/databases/{db_name}',
  summary: 'Retire a database: reviewed pull requests that end with its file gone',
  description:
    'When the database is under deletion protection (or must gain a final snapshot), a first pull request lifts it; once merged, a second removes the file. Final snapshots as the policy says.',
  security: SECURED,
  request: { params: DbNameParam, query: DryRunQuery },
  responses: {
    200: json(LifecyclePreview, 'dry_run=true: the diff and pull request it would open; nothing recorded'),
    202: json(Accepted, 'Queued; follow it at status_url'),
    400: json(InvalidRequestError, 'Invalid parameter'),
    401: UNAUTHORIZED,
    403: forbidden(
      "The caller's role may not retire databases in the database's environment (environments.<env>.access.retire), or the environment's retire rules refuse it (retire.allowed, retire.owner_only)",
    ),
    404: NOT_FOUND,
    409: CONFLICT,
    431: HEADERS_TOO_LARGE,
    503: UNAVAILABLE,
  },
});

export interface DatabasesDeps {
  ctx: AppContext;
  inventory: Inventory;
  /** The API's public root, for status_url. */
  publicBase: (c: Context) => string;
  onAccepted?: (record: RequestRecord) => void;
}

function summary(
  entry: InventoryEntry,
  inFlight: string | null,
  report: DatabaseReport | undefined,
): z.infer<typeof DatabaseSummary> {
  const settings = settingsOf(entry);
  const { file } = entry;
  return {
    db_name: entry.dbName,
    environment: entry.environment,
    engine: settings.engine,
    deployment: settings.deployment,
    engine_version: settings.engineVersion,
    size: settings.size,
    instances: settings.instances,
    owner: settings.owner,
    tags: settings.tags,
    file: entry.path,
    managed: file.kind,
    problem: file.kind === 'generated' ? null : file.reason,
    request_id: file.kind === 'foreign' ? null : file.requestId,
    in_flight: inFlight,
    connection: report?.connection ? connectionView(report.connection) : null,
    drift: report?.drift ? driftView(report.drift) : null,
  };
}

/** The routes, chained so that their types make `DatabasesApi`, which the CLI's and the page's client use. */
export function databasesApi(deps: DatabasesDeps) {
  const { ctx, inventory } = deps;
  const answer = (c: Context, outcome: LifecycleOutcome) => {
    switch (outcome.kind) {
      case 'not_found':
        return c.json({ error: 'not_found' as const, message: outcome.message }, 404);
      case 'invalid':
      case 'forbidden':
      case 'conflict':
        return refusalAnswer(c, outcome);
      case 'preview':
        return c.json(
          {
            dry_run: true as const,
            file_path: outcome.filePath,
            branch: outcome.branch,
            base: outcome.base,
            content: outcome.content,
            diff: outcome.diff,
            pull_request: outcome.pullRequest,
            cost: costView(outcome.cost),
          },
          200,
        );
      case 'accepted': {
        deps.onAccepted?.(outcome.record);
        const statusUrl = `${deps.publicBase(c)}/requests/${outcome.record.id}`;
        return c.json(
          { request_id: outcome.record.id, status: 'queued' as const, status_url: statusUrl },
          202,
        );
      }
    }
  };
  return apiRoutes()
    .openapi(listRoute, async (c) => {
      const { environment, engine, owner, limit, cursor } = c.req.valid('query');
      let after: string | undefined;
      if (cursor !== undefined) {
        after = decodeCursor(cursor);
        if (after === undefined) return c.json(INVALID_CURSOR, 400);
      }
      const page = await inventory.page(
        ctx,
        {
          ...(environment ? { environment } : {}),
          ...(engine ? { engine } : {}),
          ...(owner ? { owner } : {}),
        },
        limit,
        after,
      );
      const names = page.entries.map((e) => e.dbName);
      const [locks, reports] = await Promise.all([
        ctx.store.inFlightMany(names),
        ctx.store.databaseReports(names),
      ]);
      return c.json(
        {
          databases: page.entries.map((e) => summary(e, locks.get(e.dbName) ?? null, reports.get(e.dbName))),
          next_cursor: page.next === null ? null : encodeCursor(page.next),
        },
        200,
      );
    })
    .openapi(showRoute, async (c) => {
      const { db_name } = c.req.valid('param');
      const onBase = await databaseOnBase(ctx, db_name);
      if (!onBase)
        return c.json(
          { error: 'not_found' as const, message: `no database ${db_name} on ${ctx.conventions.base}` },
          404,
        );
      const [inFlight, requests, report] = await Promise.all([
        ctx.store.inFlight(db_name),
        ctx.store.list({ dbName: db_name, limit: 100 }),
        ctx.store.databaseReport(db_name),
      ]);
      const { file, path, content } = onBase;
      const environment =
        databaseFileMatcher(ctx.conventions)(path)?.environment ??
        (file.kind === 'generated' ? file.spec.environment : null);
      const entry: InventoryEntry = { dbName: db_name, environment, path, file };
      return c.json(
        {
          ...summary(entry, inFlight ?? null, report),
          content,
          requests: requests.records.map((record) =>
            requestView(record, connectionOf(record, report.connection)),
          ),
        },
        200,
      );
    })
    .openapi(
      changeRoute,
      async (c) => {
        const { db_name } = c.req.valid('param');
        const dryRun = c.req.valid('query').dry_run === 'true';
        return answer(
          c,
          await requestChange(ctx, db_name, c.req.valid('json'), c.get('principal'), { dryRun }),
        );
      },
      (result, c) => {
        if (result.success) return;
        // A body the schema refuses is judged whole, against the database and the policy, in one answer.
        if (result.target === 'json' && 'data' in result) {
          const dbName = c.req.param('db_name') ?? '';
          const dryRun = c.req.query('dry_run') === 'true';
          // The hook's answers are the route's own (answer() is typed by them); its signature is not.
          const judged: Promise<Response> = requestChange(ctx, dbName, result.data, c.get('principal'), {
            dryRun,
          }).then((outcome) => answer(c, outcome) as unknown as Response);
          return judged;
        }
        return c.json(invalidRequest(toFieldIssues(result.error)), 400);
      },
    )
    .openapi(retireRoute, async (c) => {
      const { db_name } = c.req.valid('param');
      const dryRun = c.req.valid('query').dry_run === 'true';
      return answer(c, await requestRetire(ctx, db_name, c.get('principal'), { dryRun }));
    });
}

export type DatabasesApi = ReturnType<typeof databasesApi>;

const encodeCursor = (dbName: string) => Buffer.from(`db:${dbName}`).toString('base64url');
function decodeCursor(cursor: string): string | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return text.startsWith('db:') && text.length > 3 ? text.slice(3) : undefined;
}
