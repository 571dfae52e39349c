/**
 * Terraform's JSON output format, as HashiCorp documents it (`terraform show -json`,
 * https://developer.hashicorp.com/terraform/internals/json-format): the plan and the state
 * representations, read with a schema (format_version checked) into the few fields the service uses.
 * Values Terraform marks sensitive are found here, for the reporter to drop and the service to refuse.
 *
 * Lean on purpose: a plan of hundreds of databases is read in about the time of its JSON.parse, so the
 * schema stops at what the service reads (resource values stay `unknown`), and the sensitive check
 * walks Terraform's own marks, which are small, rather than the values.
 */
import * as z from 'zod';
import { type FieldIssue, joinPath } from './request.js';
import { CONNECTION_ATTRIBUTES } from './terraform-report.js';

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

/** The format's major version this reader understands; a new major version may change anything. */
const FORMAT_VERSION = /^1\.\d+$/;

export const SENSITIVE_MESSAGE =
  'Terraform marks this value sensitive and the service accepts none; the reporter (`rds-provisioner report`) drops such values before sending';

const actionSchema = z.enum(['no-op', 'create', 'read', 'update', 'delete', 'forget']);
const modeSchema = z.enum(['managed', 'data']);

const resourceChangeSchema = z.object({
  address: z.string().min(1),
  module_address: z.string().nullish(),
  mode: modeSchema,
  type: z.string().min(1),
  name: z.string().min(1),
  change: z.object({
    actions: z.array(actionSchema).min(1),
    before: z.unknown(),
    after: z.unknown(),
  }),
});

const planSchema = z.object({
  terraform_version: z.string().min(1),
  timestamp: z.string().nullish(),
  resource_changes: z.array(resourceChangeSchema).optional(),
  resource_drift: z.array(resourceChangeSchema).optional(),
});

const stateResourceSchema = z.object({
  address: z.string().min(1),
  mode: modeSchema,
  type: z.string().min(1),
  name: z.string().min(1),
  values: z.record(z.string(), z.unknown()).optional(),
});

interface StateModule {
  address?: string | undefined;
  resources?: Array<z.infer<typeof stateResourceSchema>> | undefined;
  child_modules?: StateModule[] | undefined;
}

const stateModuleSchema: z.ZodType<StateModule> = z.object({
  address: z.string().optional(),
  resources: z.array(stateResourceSchema).optional(),
  get child_modules() {
    return z.array(stateModuleSchema).optional();
  },
});

const stateSchema = z.object({
  // An empty state is written as its format_version alone.
  terraform_version: z.string().optional(),
  values: z.object({ root_module: stateModuleSchema.optional() }).optional(),
});

/**
 * Reads a plan representation. Issues name the field under `field` (e.g. `plan.format_version`), and a
 * value Terraform marks sensitive that is still present is an issue naming its address
 * (`module.orders.aws_rds_cluster.this.master_password`): the reporter must have dropped it.
 */
export function parsePlanDocument(input: unknown, field = 'plan'): Parsed<PlanDocument> {
  const fast = planAsTheSchemaReadsIt(input);
  if (fast) {
    const issues = sensitiveInPlan(input as Json);
    return issues.length > 0 ? { ok: false, issues } : { ok: true, value: fast };
  }
  return readPlanWithSchema(input, field);
}

/** parsePlanDocument without its fast path: planSchema's reading, and its issues. */
export function readPlanWithSchema(input: unknown, field = 'plan'): Parsed<PlanDocument> {
  const read = readDocument(input, field, planSchema, sensitiveInPlan);
  if (!read.ok) return read;
  const { version, data: plan } = read.value;
  return {
    ok: true,
    value: {
      formatVersion: version,
      terraformVersion: plan.terraform_version,
      timestamp: plan.timestamp ?? null,
      resourceChanges: (plan.resource_changes ?? []).map(toResourceChange),
      resourceDrift: (plan.resource_drift ?? []).map(toResourceChange),
    },
  };
}

/** Reads a state representation, with the same checks. */
export function parseStateDocument(input: unknown, field = 'state'): Parsed<StateDocument> {
  const read = readDocument(input, field, stateSchema, sensitiveInState);
  if (!read.ok) return read;
  const { version, data: state } = read.value;
  const resources: StateResource[] = [];
  if (state.values?.root_module) collectResources(state.values.root_module, resources);
  return {
    ok: true,
    value: { formatVersion: version, terraformVersion: state.terraform_version ?? '', resources },
  };
}

/**
 * The reporter's side: a copy of a plan or state document without any value Terraform marks sensitive,
 * and without the parts the service never reads (configuration, variables, prior state, planned values),
 * still a document of the same format. A plan's resource changes keep, of their before and after, only
 * the attributes that differ; a state's resources keep only what connectionFromState reads.
 */
export function forReport(document: unknown): unknown {
  if (!isObject(document)) return document;
  const head = pick(document, ['format_version', 'terraform_version']);
  if (Object.hasOwn(document, 'values')) {
    const root = own(document.values, 'root_module');
    return isObject(root) ? { ...head, values: { root_module: reportedModule(root) } } : head;
  }
  return {
    ...head,
    ...pick(document, ['timestamp']),
    resource_drift: reportedChanges(own(document, 'resource_drift')),
    resource_changes: reportedChanges(own(document, 'resource_changes')),
  };
}

/**
 * The top-level attribute names whose values differ between a resource's before and after. An object
 * against a missing one (a creation, a deletion): the attributes it sets. An attribute on one side only
 * is one Terraform knows only after apply, so it differs too.
 */
export function differingAttributes(before: unknown, after: unknown): string[] {
  const b = isObject(before) ? before : null;
  const a = isObject(after) ? after : null;
  if (!b || !a) {
    const present = b ?? a ?? {};
    return Object.keys(present).filter((key) => present[key] !== null);
  }
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  return [...keys].filter(
    (key) => Object.hasOwn(b, key) !== Object.hasOwn(a, key) || !jsonEqual(b[key], a[key]),
  );
}

// ---- reading ----

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Own property of a JSON object, or undefined. */
const own = (value: unknown, key: string): unknown =>
  isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;

function formatVersion(input: unknown, field: string): Parsed<string> {
  const path = `${field}.format_version`;
  if (!isObject(input))
    return { ok: false, issues: [{ path: field, message: "must be an object: Terraform's JSON document" }] };
  const version = own(input, 'format_version');
  if (typeof version !== 'string')
    return {
      ok: false,
      issues: [{ path, message: 'required: the format version Terraform writes ("1.x")' }],
    };
  if (!FORMAT_VERSION.test(version))
    return {
      ok: false,
      issues: [
        {
          path,
          message: `must be 1.x, the major version of Terraform's JSON output format this service reads; got ${JSON.stringify(version)}`,
        },
      ],
    };
  return { ok: true, value: version };
}

/**
 * A document of the format's major version, its schema, and nothing sensitive in it: every problem in
 * one answer (only a wrong format_version is answered alone: the rest may then mean anything).
 */
function readDocument<S extends z.ZodType>(
  input: unknown,
  field: string,
  schema: S,
  sensitive: (document: Json) => FieldIssue[],
): Parsed<{ version: string; data: z.infer<S> }> {
  const version = formatVersion(input, field);
  if (!version.ok) return version;
  const parsed = schema.safeParse(input);
  const issues = [...schemaIssues(parsed.error, field), ...sensitive(input as Json)];
  if (!parsed.success || issues.length > 0) return { ok: false, issues };
  return { ok: true, value: { version: version.value, data: parsed.data } };
}

function schemaIssues(error: z.ZodError | undefined, field: string): FieldIssue[] {
  return (error?.issues ?? []).map((issue) => ({
    path: issue.path.length > 0 ? `${field}.${joinPath(issue.path)}` : field,
    message: issue.message,
  }));
}

// ---- the plan's fast path ----

const ACTIONS: ReadonlySet<unknown> = new Set(actionSchema.options);
const MODES: ReadonlySet<unknown> = new Set(modeSchema.options);
const filled = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * A plan of hundreds of databases holds thousands of resource changes: zod's copy of each (and the
 * garbage it leaves) cost as much as the JSON.parse before it. A valid plan is read here in one pass,
 * as planSchema reads it; anything this does not accept (null) goes through planSchema, whose issues are
 * the answer. A test holds the two to the same verdict on every fixture and on broken copies of them.
 */
export function planAsTheSchemaReadsIt(input: unknown): PlanDocument | null {
  if (!isObject(input)) return null;
  const version = own(input, 'format_version');
  const terraformVersion = own(input, 'terraform_version');
  const timestamp = own(input, 'timestamp');
  if (typeof version !== 'string' || !FORMAT_VERSION.test(version) || !filled(terraformVersion)) return null;
  if (timestamp !== undefined && timestamp !== null && typeof timestamp !== 'string') return null;
  const resourceChanges = changesAsTheSchemaReadsThem(own(input, 'resource_changes'));
  const resourceDrift = changesAsTheSchemaReadsThem(own(input, 'resource_drift'));
  if (!resourceChanges || !resourceDrift) return null;
  return {
    formatVersion: version,
    terraformVersion,
    timestamp: timestamp ?? null,
    resourceChanges,
    resourceDrift,
  };
}

function changesAsTheSchemaReadsThem(changes: unknown): ResourceChange[] | null {
  if (changes === undefined) return [];
  if (!Array.isArray(changes)) return null;
  const out: ResourceChange[] = new Array(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const rc: unknown = changes[i];
    if (!isObject(rc)) return null;
    const { address, module_address: moduleAddress, mode, type, name, change } = rc;
    if (!filled(address) || !filled(type) || !filled(name) || !MODES.has(mode)) return null;
    if (moduleAddress !== undefined && moduleAddress !== null && typeof moduleAddress !== 'string')
      return null;
    // planSchema's before and after are unknown, yet required: present, if only as null.
    if (!isObject(change) || !Object.hasOwn(change, 'before') || !Object.hasOwn(change, 'after')) return null;
    const actions = change.actions;
    if (!Array.isArray(actions) || actions.length === 0 || !actions.every((a) => ACTIONS.has(a))) return null;
    out[i] = {
      address,
      moduleAddress: moduleAddress ?? null,
      mode: mode as ResourceChange['mode'],
      type,
      name,
      actions: actions as ChangeAction[],
      before: change.before ?? null,
      after: change.after ?? null,
    };
  }
  return out;
}

function toResourceChange(rc: z.infer<typeof resourceChangeSchema>): ResourceChange {
  return {
    address: rc.address,
    moduleAddress: rc.module_address ?? null,
    mode: rc.mode,
    type: rc.type,
    name: rc.name,
    actions: rc.change.actions,
    before: rc.change.before ?? null,
    after: rc.change.after ?? null,
  };
}

function collectResources(module: StateModule, out: StateResource[]) {
  for (const r of module.resources ?? [])
    out.push({
      address: r.address,
      moduleAddress: module.address ?? null,
      mode: r.mode,
      type: r.type,
      name: r.name,
      values: r.values ?? {},
    });
  for (const child of module.child_modules ?? []) collectResources(child, out);
}

// ---- sensitive values ----

/** Collects sensitive values still present, one issue per path. */
class SensitiveFinds {
  private readonly paths = new Set<string>();

  /** Where `mask` (Terraform's marks: true, or objects and arrays of them) marks a value that is present. */
  walk(value: unknown, mask: unknown, path: string) {
    if (mask === true) {
      if (!isEmpty(value)) this.paths.add(path);
    } else if (Array.isArray(mask)) {
      if (!Array.isArray(value)) return;
      for (let i = 0; i < mask.length && i < value.length; i++)
        if (mask[i] !== false) this.walk(value[i], mask[i], `${path}[${i}]`);
    } else if (isObject(mask) && isObject(value)) {
      for (const key of Object.keys(mask))
        if (mask[key] !== false && Object.hasOwn(value, key))
          this.walk(value[key], mask[key], `${path}${attributeStep(key)}`);
    }
  }

  /** A module of a state or of planned values: its resources' values against their sensitive_values. */
  module(module: unknown) {
    const resources = own(module, 'resources');
    if (Array.isArray(resources))
      for (const r of resources) {
        const address = own(r, 'address');
        if (typeof address === 'string') this.walk(own(r, 'values'), own(r, 'sensitive_values'), address);
      }
    const children = own(module, 'child_modules');
    if (Array.isArray(children)) for (const child of children) this.module(child);
  }

  /** State values: sensitive outputs, and every module's resources. */
  values(values: unknown) {
    const outputs = own(values, 'outputs');
    if (isObject(outputs))
      for (const [name, output] of Object.entries(outputs))
        if (own(output, 'sensitive') === true) this.walk(own(output, 'value'), true, `output.${name}`);
    this.module(own(values, 'root_module'));
  }

  /** resource_changes or resource_drift: before and after against their marks. */
  changes(changes: unknown) {
    if (!Array.isArray(changes)) return;
    for (const rc of changes) {
      const address = own(rc, 'address');
      const change = own(rc, 'change');
      if (typeof address !== 'string' || !isObject(change)) continue;
      this.walk(change.before, change.before_sensitive, address);
      this.walk(change.after, change.after_sensitive, address);
    }
  }

  /** Configuration's variables marked sensitive: their defaults, and (at the root) the values given. */
  variables(module: unknown, prefix: string, given?: unknown) {
    const variables = own(module, 'variables');
    if (isObject(variables))
      for (const [name, variable] of Object.entries(variables)) {
        if (own(variable, 'sensitive') !== true) continue;
        const path = `${prefix}var.${name}`;
        this.walk(own(variable, 'default'), true, path);
        this.walk(own(own(given, name), 'value'), true, path);
      }
    const calls = own(module, 'module_calls');
    if (isObject(calls))
      for (const [name, call] of Object.entries(calls))
        this.variables(own(call, 'module'), `${prefix}module.${name}.`);
  }

  issues(): FieldIssue[] {
    return [...this.paths].map((path) => ({ path, message: SENSITIVE_MESSAGE }));
  }
}

function sensitiveInPlan(plan: Json): FieldIssue[] {
  const finds = new SensitiveFinds();
  finds.changes(own(plan, 'resource_changes'));
  finds.changes(own(plan, 'resource_drift'));
  const outputChanges = own(plan, 'output_changes');
  if (isObject(outputChanges))
    for (const [name, change] of Object.entries(outputChanges)) {
      finds.walk(own(change, 'before'), own(change, 'before_sensitive'), `output.${name}`);
      finds.walk(own(change, 'after'), own(change, 'after_sensitive'), `output.${name}`);
    }
  finds.values(own(plan, 'planned_values'));
  finds.values(own(own(plan, 'prior_state'), 'values'));
  finds.variables(own(own(plan, 'configuration'), 'root_module'), '', own(plan, 'variables'));
  return finds.issues();
}

function sensitiveInState(state: Json): FieldIssue[] {
  const finds = new SensitiveFinds();
  finds.values(own(state, 'values'));
  return finds.issues();
}

/**
 * Nothing to reveal: null, and the empty string, list or object a provider leaves in an attribute that was
 * never set (aws_secretsmanager_secret_version's secret_binary is "" in state when the secret is a string).
 */
const isEmpty = (value: unknown): boolean =>
  value === null ||
  value === undefined ||
  value === '' ||
  (Array.isArray(value) ? value.length === 0 : isObject(value) && Object.keys(value).length === 0);

/** One step of an attribute path: `.name`, or `["key"]` for a map key that is not a plain name. */
const attributeStep = (key: string) =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;

// ---- the reporter's copy ----

function pick(source: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const key of keys) if (Object.hasOwn(source, key)) out[key] = source[key];
  return out;
}

/** A copy of `value` without what `mask` marks sensitive (an attribute dropped, a list element nulled). */
function withoutSensitive(value: unknown, mask: unknown): unknown {
  if (mask === true) return null;
  if (Array.isArray(mask) && Array.isArray(value))
    return value.map((element, i) =>
      i < mask.length && mask[i] ? withoutSensitive(element, mask[i]) : element,
    );
  if (isObject(mask) && isObject(value)) {
    const out: Json = {};
    for (const [key, element] of Object.entries(value)) {
      const marks = Object.hasOwn(mask, key) ? mask[key] : false;
      if (marks === true) continue;
      out[key] = marks ? withoutSensitive(element, marks) : element;
    }
    return out;
  }
  return value;
}

/** The attributes of `value` named in `keys` (all of it when it is not an object). */
function only(value: unknown, keys: ReadonlySet<string>): unknown {
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const key of Object.keys(value)) if (keys.has(key)) out[key] = value[key];
  return out;
}

const IDENTITY = ['address', 'module_address', 'mode', 'type', 'name', 'index', 'deposed'] as const;

function reportedChanges(changes: unknown): unknown {
  if (!Array.isArray(changes)) return [];
  return changes.map((rc) => {
    if (!isObject(rc)) return rc;
    const change = own(rc, 'change');
    const before = withoutSensitive(own(change, 'before') ?? null, own(change, 'before_sensitive'));
    const after = withoutSensitive(own(change, 'after') ?? null, own(change, 'after_sensitive'));
    const differing = new Set(differingAttributes(before, after));
    return {
      ...pick(rc, IDENTITY),
      change: {
        ...(isObject(change) ? pick(change, ['actions']) : {}),
        before: only(before, differing),
        after: only(after, differing),
      },
    };
  });
}

function reportedModule(module: Json): Json {
  const out = pick(module, ['address']);
  const resources = own(module, 'resources');
  if (Array.isArray(resources))
    out.resources = resources
      .filter((r) => own(r, 'mode') === 'managed')
      .map((r: Json) => ({
        ...pick(r, IDENTITY),
        values: only(withoutSensitive(own(r, 'values'), own(r, 'sensitive_values')), CONNECTION_ATTRIBUTES),
      }));
  const children = own(module, 'child_modules');
  if (Array.isArray(children))
    out.child_modules = children.filter(isObject).map((child) => reportedModule(child));
  return out;
}

// ---- values ----

/** Equality of two JSON values (objects by their keys, in any order). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((element, i) => jsonEqual(element, b[i]));
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  return (
    ak.length === bk.length &&
    ak.every((key) => Object.hasOwn(b, key) && jsonEqual((a as Json)[key], (b as Json)[key]))
  );
}
