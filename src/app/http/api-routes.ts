import { OpenAPIHono } from '@hono/zod-openapi';
import type { Principal } from '../../domain/access.js';
import { type FieldIssue, toFieldIssues } from '../../domain/request.js';

/**
 * What every route sees, set by the app's authentication: the caller (`principal`, with their role) and
 * their identity (`principal.id`, what a request records as its requester).
 */
export type ApiEnv = { Variables: { identity: string; principal: Principal } };

/** The 400 body of every invalid input: each bad field named. */
export const invalidRequest = (issues: FieldIssue[]) => ({ error: 'invalid_request' as const, issues });

/**
 * A new set of routes (one resource's sub-app, or the app itself): a schema failure of body, params or
 * query answers 400 naming each field, like every other invalid input.
 */
export const apiRoutes = () =>
  new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return c.json(invalidRequest(toFieldIssues(result.error)), 400);
    },
  });
