/**
 * The way back from CI: a plan on a pull request, an apply's outcome, the nightly drift plan. Each report
 * is checked (schema, sensitive values, where it comes from) before anything is recorded; a replay
 * changes nothing, and a report for an older commit never overwrites a newer one.
 */

import type { DriftStatus, PlanReport } from '../domain/reports.js';
import type { FieldIssue } from '../domain/request.js';
import type { Status } from '../domain/status.js';

export type ReportOutcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'invalid'; issues: FieldIssue[] }
  /** No request, branch or commit the report could belong to. */
  | { kind: 'not_found'; message: string }
  /** It belongs somewhere, but is stale (an older commit) or does not match (another pull request). */
  | { kind: 'conflict'; message: string };

export interface PlanReportInput {
  branch: string;
  pull_request: number;
  commit: string;
  plan: Record<string, unknown>;
}

export interface ApplyReportInput {
  commit: string;
  outcome: 'started' | 'succeeded' | 'failed';
  plan?: Record<string, unknown> | undefined;
  state?: Record<string, unknown> | undefined;
  log?: string | undefined;
}

export interface DriftReportInput {
  branch: string;
  commit: string;
  plan: Record<string, unknown>;
}

export interface PlanReportResult {
  requestId: string;
  changed: boolean;
  plan: PlanReport;
}

export interface ApplyReportResult {
  commit: string;
  requests: Array<{ requestId: string; dbName: string; status: Status; changed: boolean }>;
}

export interface DriftReportResult {
  commit: string;
  databases: Array<{ dbName: string; status: DriftStatus; changed: boolean }>;
}

export { reportApply } from './report-apply.js';
export { reportDrift } from './report-drift.js';
export { reportPlan } from './report-plan.js';
