import type { Context } from 'aws-lambda';
import { lazyHandler } from './lazy-handler.js';
import type { ReconcileResult } from './reconcile-handler.js';

export type { ReconcileResult };

/** The reconcile function's entry (Handler reconcile.handler): ./reconcile-handler.ts, loaded on the first run. */
export const handler = lazyHandler<unknown, Context, ReconcileResult>(() => import('./reconcile-handler.js'));
