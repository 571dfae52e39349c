import type { z } from '@hono/zod-openapi';
import type { InferRequestType, InferResponseType } from 'hono/client';
import { describe, expectTypeOf, it } from 'vitest';
import type { PullRequestDetail, PullRequestView, RequestView } from '../../src/app/http/schemas.js';
import type { ApiClient } from '../../src/cli/api-client.js';
import type { RequestKind } from '../../src/domain/status.js';

/**
 * The CLI's client is typed by the server's own routes (hc<AppType>): these checks run in the type
 * checker (`tsc -p tsconfig.test.json`, part of `npm run lint`), so a route that stops declaring a field
 * the CLI or the page reads breaks the build instead of a user's command.
 */

type Client = ApiClient['api'];
type OneRequest = InferResponseType<Client['requests'][':id']['$get'], 200>;
type RequestPage = InferResponseType<Client['requests']['$get'], 200>;
type DatabasePage = InferResponseType<Client['databases']['$get'], 200>;
type OneDatabase = InferResponseType<Client['databases'][':db_name']['$get'], 200>;

describe('the typed client (hc<AppType>)', () => {
  it('GET /requests/{id}: the request as the server declares it, its kind and step included', () => {
    expectTypeOf<OneRequest>().not.toBeAny();
    // Every field the server's schema declares (`change`, a JSON object, reads back as JSON, not unknown).
    expectTypeOf<keyof OneRequest>().toEqualTypeOf<keyof z.infer<typeof RequestView>>();
    // @ts-expect-error: not `any`, a field the server does not declare is an error
    expectTypeOf<OneRequest['no_such_field']>().toBeNever();
    expectTypeOf<OneRequest['kind']>().toEqualTypeOf<RequestKind>();
    expectTypeOf<OneRequest['step']>().toEqualTypeOf<number>();
    expectTypeOf<InferResponseType<Client['requests'][':id']['$get'], 404>>().toEqualTypeOf<{
      error: 'not_found';
      message: string;
    }>();
    expectTypeOf<InferRequestType<Client['requests'][':id']['$get']>['param']>().toEqualTypeOf<{
      id: string;
    }>();
  });

  it('GET /requests: a page of the same requests, filtered by kind', () => {
    expectTypeOf<RequestPage['requests'][number]>().toEqualTypeOf<OneRequest>();
    expectTypeOf<RequestPage['next_cursor']>().toEqualTypeOf<string | null>();
    expectTypeOf<
      NonNullable<InferRequestType<Client['requests']['$get']>['query']['kind']>
    >().toEqualTypeOf<RequestKind>();
  });

  it('GET /databases and /databases/{db_name}: managed, in_flight, and the requests for the name', () => {
    expectTypeOf<DatabasePage>().not.toBeAny();
    expectTypeOf<DatabasePage['databases'][number]['managed']>().toEqualTypeOf<
      'generated' | 'hand-edited' | 'foreign'
    >();
    expectTypeOf<DatabasePage['databases'][number]['in_flight']>().toEqualTypeOf<string | null>();
    expectTypeOf<OneDatabase['requests'][number]>().toEqualTypeOf<OneRequest>();
    expectTypeOf<OneDatabase['content']>().toEqualTypeOf<string>();
  });

  it('POST /provision: accepted (202) or, with dry_run, the preview (200)', () => {
    type Provision = Client['provision']['$post'];
    expectTypeOf<InferResponseType<Provision, 202>>().toEqualTypeOf<{
      request_id: string;
      status: 'queued';
      status_url: string;
    }>();
    expectTypeOf<InferResponseType<Provision, 200>['dry_run']>().toEqualTypeOf<true>();
  });

  it('/pulls: the list, one with its diff, and merge or close', () => {
    expectTypeOf<InferResponseType<Client['pulls']['$get'], 200>['pull_requests'][number]>().toEqualTypeOf<
      z.infer<typeof PullRequestView>
    >();
    expectTypeOf<InferResponseType<Client['pulls'][':number']['$get'], 200>>().toEqualTypeOf<
      z.infer<typeof PullRequestDetail>
    >();
    expectTypeOf<InferResponseType<Client['pulls'][':number']['merge']['$post'], 200>>().toEqualTypeOf<
      z.infer<typeof PullRequestView>
    >();
    expectTypeOf<InferResponseType<Client['pulls'][':number']['close']['$post'], 200>>().toEqualTypeOf<
      z.infer<typeof PullRequestView>
    >();
  });

  it('GET /request-form and GET /health are typed too', () => {
    expectTypeOf<
      InferResponseType<Client['request-form']['$get'], 200>['default_environment']
    >().toEqualTypeOf<string>();
    expectTypeOf<InferResponseType<Client['health']['$get'], 200>>().toEqualTypeOf<{
      status: 'ok';
      auth: 'bearer' | 'iam' | 'api_key';
    }>();
  });
});
