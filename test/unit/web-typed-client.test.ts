import type { hc, InferRequestType, InferResponseType } from 'hono/client';
import type { StatusCode } from 'hono/utils/http-status';
import { describe, expectTypeOf, it } from 'vitest';
import type { AppType } from '../../src/app/http/app.js';
import type * as Page from '../../web/api.js';

/**
 * The page's client (web/api.ts) is typed by the server's own routes (hc<AppType>), like the CLI's: these
 * checks run in the type checker (`tsc -p tsconfig.test.json`, part of `npm run lint`), so a route that
 * changes what it answers changes what the page reads, instead of a hand-copied type going stale.
 */

type Client = ReturnType<typeof hc<AppType>>;
type Answer<Call extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<Call>>;
type Ok<Route, Status extends StatusCode = 200> = InferResponseType<Route, Status>;

describe("the page's client (web/api.ts): every call typed by the server's routes", () => {
  it('GET /requests/{id}, GET /requests and GET /request-form answer what the server declares', () => {
    type OneRequest = Ok<Client['requests'][':id']['$get']>;
    expectTypeOf<Answer<Page.Api['get']>>().not.toBeAny();
    expectTypeOf<Answer<Page.Api['get']>>().toEqualTypeOf<OneRequest>();
    expectTypeOf<Page.RequestView>().toEqualTypeOf<OneRequest>();
    expectTypeOf<Answer<Page.Api['list']>>().toEqualTypeOf<Ok<Client['requests']['$get']>>();
    expectTypeOf<Answer<Page.Api['requestForm']>>().toEqualTypeOf<Ok<Client['request-form']['$get']>>();
    expectTypeOf<Page.RequestForm>().toEqualTypeOf<Ok<Client['request-form']['$get']>>();
    expectTypeOf<Page.EnvironmentPolicy>().toEqualTypeOf<
      Ok<Client['request-form']['$get']>['environments'][string]
    >();
    // The list's filter is the route's own, and offers every status it takes.
    expectTypeOf<Page.Status>().toEqualTypeOf<
      NonNullable<InferRequestType<Client['requests']['$get']>['query']['status']>
    >();
    expectTypeOf<(typeof Page.STATUSES)[number]>().toEqualTypeOf<Page.Status>();
  });

  it('GET /auth/config and GET /whoami: how the page signs in, and who is signed in with what they may do', () => {
    expectTypeOf<Answer<Page.Api['authConfig']>>().not.toBeAny();
    expectTypeOf<Answer<Page.Api['authConfig']>>().toEqualTypeOf<Ok<Client['auth']['config']['$get']>>();
    expectTypeOf<Page.AuthConfig>().toEqualTypeOf<Ok<Client['auth']['config']['$get']>>();
    expectTypeOf<Answer<Page.Api['whoami']>>().not.toBeAny();
    expectTypeOf<Page.Whoami>().toEqualTypeOf<Ok<Client['whoami']['$get']>>();
    // The pull request panel offers Merge and Close from the server's own answer.
    expectTypeOf<Ok<Client['pulls'][':number']['$get']>['may']['merge']>().toEqualTypeOf<{
      allowed: boolean;
      reason: string | null;
    }>();
  });

  it('POST /provision: the preview (200) and the accepted request (202)', () => {
    expectTypeOf<Answer<Page.Api['preview']>>().toEqualTypeOf<Ok<Client['provision']['$post'], 200>>();
    expectTypeOf<Answer<Page.Api['provision']>>().toEqualTypeOf<Ok<Client['provision']['$post'], 202>>();
    expectTypeOf<Page.Accepted['status']>().toEqualTypeOf<'queued'>();
  });

  it('/pulls/{number}: one with its body and diff; merge and close answer the pull request', () => {
    type OnePull = Client['pulls'][':number'];
    expectTypeOf<Answer<Page.Api['pull']>>().toEqualTypeOf<Ok<OnePull['$get']>>();
    expectTypeOf<Page.PullRequestDetail>().toEqualTypeOf<Ok<OnePull['$get']>>();
    expectTypeOf<Answer<Page.Api['pullAction']>>().toEqualTypeOf<
      Ok<OnePull['merge']['$post']> | Ok<OnePull['close']['$post']>
    >();
  });

  it('/databases: the list, one database, and a change or retirement previewed or queued', () => {
    type OneDatabase = Client['databases'][':db_name'];
    expectTypeOf<Answer<Page.Api['listDatabases']>>().toEqualTypeOf<Ok<Client['databases']['$get']>>();
    expectTypeOf<Answer<Page.Api['database']>>().toEqualTypeOf<Ok<OneDatabase['$get']>>();
    expectTypeOf<Answer<Page.Api['previewChange']>>().toEqualTypeOf<Ok<OneDatabase['$patch'], 200>>();
    expectTypeOf<Answer<Page.Api['change']>>().toEqualTypeOf<Ok<OneDatabase['$patch'], 202>>();
    expectTypeOf<Answer<Page.Api['previewRetire']>>().toEqualTypeOf<Ok<OneDatabase['$delete'], 200>>();
    expectTypeOf<Answer<Page.Api['retire']>>().toEqualTypeOf<Ok<OneDatabase['$delete'], 202>>();
  });

  it("the pipeline's reports and the cost estimate are the routes' own: request, database, previews", () => {
    type OneRequest = Ok<Client['requests'][':id']['$get']>;
    type OneDatabase = Ok<Client['databases'][':db_name']['$get']>;
    expectTypeOf<Page.CostEstimate>().toEqualTypeOf<NonNullable<OneRequest['cost']>>();
    expectTypeOf<Page.PlanSummary>().toEqualTypeOf<NonNullable<OneRequest['plan']>>();
    expectTypeOf<Page.ConnectionDetails>().toEqualTypeOf<NonNullable<OneRequest['connection']>>();
    expectTypeOf<Page.ConnectionDetails>().toEqualTypeOf<NonNullable<OneDatabase['connection']>>();
    expectTypeOf<Page.DriftReport>().toEqualTypeOf<NonNullable<OneDatabase['drift']>>();
    expectTypeOf<Page.DryRun['cost']>().toEqualTypeOf<Page.CostEstimate>();
    expectTypeOf<Page.LifecyclePreview['cost']>().toEqualTypeOf<Page.CostEstimate>();
    expectTypeOf<Page.PullRequestDetail['comments'][number]>().toEqualTypeOf<
      Ok<Client['pulls'][':number']['$get']>['comments'][number]
    >();
  });

  it("a field issue is the one the API's 400 body lists", () => {
    expectTypeOf<Page.FieldIssue>().toEqualTypeOf<Ok<Client['provision']['$post'], 400>['issues'][number]>();
  });
});
