import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Principal } from '../../domain/access.js';
import { type FieldIssue, toFieldIssues } from '../../domain/request.js';
import { InvalidCursorError } from '../../ports.js';

/**
 * What every route sees, set by the app's authentication: the caller (`principal`, with their role) and
 * their identity (`principal.id`, what a request records as its requester).
 */
export type ApiEnv = { Variables: { identity: string; principal: Principal } };

/** The 400 body of every invalid input: each bad field named. */
export const invalidRequest = (issues: FieldIssue[]) => ({ error: 'invalid_request' as const, issues });

/** The 400 body of a list's cursor that no page of it returned. */
export const INVALID_CURSOR = invalidRequest([
  { path: 'cursor', message: 'is not a cursor this API returned' },
]);

/** A store's page, or undefined when the cursor is not one the store made (InvalidCursorError). */
export async function pageUnlessBadCursor<T>(list: () => Promise<T>): Promise<T | undefined> {
  try {
    return await list();
  } catch (error) {
    if (error instanceof InvalidCursorError) return undefined;
    throw error;
  }
}

/** Why a use case did not do what was asked, as every route answers it. */
export type Refusal =
  | { kind: 'invalid'; issues: FieldIssue[] }
  | { kind: 'forbidden'; message: string }
  | { kind: 'conflict'; requestId: string | null; message: string };

export function refusalAnswer(c: Context, outcome: Refusal) {
  switch (outcome.kind) {
    case 'invalid':
      return c.json(invalidRequest(outcome.issues), 400);
    case 'forbidden':
      return c.json({ error: 'forbidden' as const, message: outcome.message }, 403);
    case 'conflict':
      return c.json(
        { error: 'conflict' as const, request_id: outcome.requestId, message: outcome.message },
        409,
      );
  }
}

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
