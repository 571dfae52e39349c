/**
 * Terraform's JSON output format, as HashiCorp documents it (`terraform show -json`): the plan and the
 * state representations, read with a schema (format_version checked) into the few fields the service
 * uses. Values Terraform marks sensitive are found here, for the reporter to drop and the service to
 * refuse. (Contract: the bodies are filled in by the Terraform JSON work.)
 */
import type { FieldIssue } from './request.js';

/** A resource change's actions, as Terraform lists them (a replacement is delete+create in some order). */
export type ChangeAction = 'no-op' | 'create' | 'read' | 'update' | 'delete' | 'forget';

export interface ResourceChange {
  address: string;
  /** e.g. `module.orders`; null at the root module. */
  moduleAddress: string | null;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  actions: ChangeAction[];
  /** The object's values before and after (null when absent), as the document has them. */
  before: unknown;
  after: unknown;
}

export interface PlanDocument {
  formatVersion: string;
  terraformVersion: string;
  /** The plan's `timestamp` (Terraform 1.5+); null when the document has none. */
  timestamp: string | null;
  resourceChanges: ResourceChange[];
  /** Changes made outside Terraform, found by the plan's refresh. */
  resourceDrift: ResourceChange[];
}

export interface StateResource {
  address: string;
  moduleAddress: string | null;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  values: Record<string, unknown>;
}

export interface StateDocument {
  formatVersion: string;
  terraformVersion: string;
  /** Every resource, of the root module and of every child module, flattened. */
  resources: StateResource[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

/**
 * Reads a plan representation. Issues name the field under `field` (e.g. `plan.format_version`), and a
 * value Terraform marks sensitive that is still present is an issue naming its address
 * (`module.orders.aws_rds_cluster.this.master_password`): the reporter must have dropped it.
 */
export function parsePlanDocument(input: unknown, field?: string): Parsed<PlanDocument> {
  throw new Error('not implemented yet');
}

/** Reads a state representation, with the same checks. */
export function parseStateDocument(input: unknown, field?: string): Parsed<StateDocument> {
  throw new Error('not implemented yet');
}

/**
 * The reporter's side: a copy of a plan or state document without any value Terraform marks sensitive,
 * and without the parts the service never reads (configuration, variables, prior state, planned values),
 * still a document of the same format.
 */
export function forReport(document: unknown): unknown {
  throw new Error('not implemented yet');
}
