/**
 * Checks parsed Terraform (hcl2json's JSON, see ./hcl.ts) the way `terraform validate` would, without a
 * terraform binary or provider plugin:
 *   - {@link checkAgainstSchema}: resource, data and provider blocks against the hashicorp/aws schema in
 *     test/fixtures/aws-provider-schema.json (made by `npm run schema:extract`): argument and block names,
 *     required arguments, read-only attributes, block counts, meta-arguments, lifecycle and dynamic blocks;
 *   - {@link checkModuleCalls}: arguments of calls to local modules against their variables;
 *   - {@link checkReferences}: var., local., data., module. and resource references, and their attributes.
 *
 * Not checked: value types, and the provider's cross-argument rules (conflicts_with, exactly_one_of, ...)
 * and value validations, which the schema fixture does not carry.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findReferences, type HclJson, type ParsedHclFile } from './hcl.js';

// ---------------------------------------------------------------------------------------------------------
// The schema fixture

export interface SchemaAttribute {
  type?: string;
  required?: boolean;
  optional?: boolean;
  /** Computed-only: set by the provider, never in configuration. */
  computed?: boolean;
  /** The fields of an attribute of object type (`list(object)`, `set(object)`, `object`, `map(object)`). */
  nested?: Record<string, SchemaAttribute>;
}

export interface SchemaBlockType {
  nesting_mode: 'single' | 'list' | 'set' | 'map';
  min_items?: number;
  max_items?: number;
  block: SchemaBlock;
}

export interface SchemaBlock {
  attributes: Record<string, SchemaAttribute>;
  block_types: Record<string, SchemaBlockType>;
}

export interface ProviderSchema {
  format_version: number;
  source: { package: string; package_version: string; provider: string; provider_version: string };
  provider: Record<string, { block: SchemaBlock }>;
  resource_schemas: Record<string, { block: SchemaBlock }>;
  data_source_schemas: Record<string, { block: SchemaBlock }>;
  not_covered?: string[];
}

export const SCHEMA_FIXTURE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'aws-provider-schema.json',
);

export function loadProviderSchema(path: string = SCHEMA_FIXTURE): ProviderSchema {
  const schema = JSON.parse(readFileSync(path, 'utf8')) as ProviderSchema;
  if (schema.format_version !== 1 || !schema.resource_schemas || !schema.data_source_schemas) {
    throw new Error(`${path} is not a provider schema fixture; run npm run schema:extract`);
  }
  return schema;
}

/** Resource types that are built into Terraform rather than a provider. */
const BUILTIN_RESOURCES: Record<string, SchemaBlock> = {
  terraform_data: {
    attributes: {
      id: { computed: true },
      input: { type: 'dynamic', optional: true },
      output: { computed: true },
      triggers_replace: { type: 'dynamic', optional: true },
    },
    block_types: {},
  },
};
const BUILTIN_DATA_SOURCES: Record<string, SchemaBlock> = {
  terraform_remote_state: {
    attributes: {
      backend: { type: 'string', required: true },
      config: { type: 'dynamic', optional: true },
      defaults: { type: 'dynamic', optional: true },
      outputs: { computed: true },
      workspace: { type: 'string', optional: true },
    },
    block_types: {},
  },
};

// ---------------------------------------------------------------------------------------------------------
// Problems

export type ProblemCode =
  | 'unknown-type' // resource/data/provider type not in the fixture
  | 'unknown-argument' // an attribute the type does not have
  | 'unknown-block' // a nested block the type does not have
  | 'computed-only' // sets an attribute only the provider sets
  | 'missing-required' // a required argument or block is absent
  | 'not-a-block' // an attribute written as a block
  | 'not-an-attribute' // a block written as an attribute
  | 'too-many-blocks' // more blocks than max_items
  | 'invalid-meta' // misuse of count, for_each, lifecycle, dynamic, ...
  | 'malformed' // wrong number of labels and the like
  | 'duplicate' // two blocks with the same address
  | 'undeclared-reference' // var., local., data., module. or a resource that the module does not declare
  | 'unsupported-attribute' // a reference to an attribute the type (or the module's outputs) lacks
  | 'instance-key'; // a reference with a missing or unexpected [index] for count/for_each

export interface SchemaProblem {
  file: string;
  /** Which kind of top-level block: `resource`, `data`, `provider`, `module` or the top level itself. */
  block:
    | 'resource'
    | 'data'
    | 'provider'
    | 'module'
    | 'variable'
    | 'output'
    | 'locals'
    | 'terraform'
    | 'top-level';
  /** The resource or data source type (`aws_rds_cluster`), the provider name (`aws`) or the module source. */
  type: string;
  /** The block's name label; for a provider its alias, or `default`. */
  name: string;
  /** Argument path inside the block (`serverlessv2_scaling_configuration.max_capacity`), `''` for itself. */
  path: string;
  code: ProblemCode;
  message: string;
}

export function formatProblem(p: SchemaProblem): string {
  const where =
    p.block === 'top-level'
      ? ''
      : p.block === 'provider'
        ? `provider "${p.type}" (${p.name})`
        : p.block === 'locals'
          ? 'locals'
          : p.type === ''
            ? `${p.block} "${p.name}"`
            : `${p.block} "${p.type}" "${p.name}"`;
  return [p.file, where, p.path, `${p.message} [${p.code}]`].filter((s) => s !== '').join(': ');
}

export const formatProblems = (problems: readonly SchemaProblem[]): string =>
  problems.map(formatProblem).join('\n');

// ---------------------------------------------------------------------------------------------------------
// Walking hcl2json's JSON

type Body = Record<string, unknown>;

const isBody = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);
/** How hcl2json renders one or more blocks (and, indistinguishably, `x = [{...}]`). */
const isBodyList = (v: unknown): v is Body[] => Array.isArray(v) && v.length > 0 && v.every(isBody);

const RESOURCE_META = new Set([
  'count',
  'for_each',
  'depends_on',
  'provider',
  'lifecycle',
  'provisioner',
  'connection',
]);
const DATA_META = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle']);
const PROVIDER_META = new Set(['alias', 'version']);
const RESOURCE_LIFECYCLE = new Set([
  'create_before_destroy',
  'prevent_destroy',
  'ignore_changes',
  'replace_triggered_by',
  'precondition',
  'postcondition',
  'action_trigger',
]);
const DATA_LIFECYCLE = new Set(['precondition', 'postcondition']);
const CONDITION_BLOCK: SchemaBlock = {
  attributes: {
    condition: { type: 'bool', required: true },
    error_message: { type: 'string', required: true },
  },
  block_types: {},
};
const TOP_LEVEL = new Set([
  'terraform',
  'provider',
  'variable',
  'output',
  'locals',
  'module',
  'resource',
  'data',
  'ephemeral',
  'moved',
  'import',
  'removed',
  'check',
]);

interface Context {
  file: string;
  block: SchemaProblem['block'];
  type: string;
  name: string;
  problems: SchemaProblem[];
}

function report(ctx: Context, path: string, code: ProblemCode, message: string): void {
  ctx.problems.push({
    file: ctx.file,
    block: ctx.block,
    type: ctx.type,
    name: ctx.name,
    path,
    code,
    message,
  });
}

const join2 = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

function suggestion(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4))
    ? ` (did you mean "${best}"?)`
    : '';
}

/**
 * Whether `name = [{...}]` (which hcl2json renders exactly like `name { ... }` blocks) can be right for the
 * attribute: a list or set of objects (which Terraform also accepts in block syntax), of maps, or dynamic.
 */
const acceptsListOfObjects = (attr: SchemaAttribute) =>
  attr.type === 'dynamic' || /^(list|set)\((object|dynamic|map\(.+\))\)$/.test(attr.type ?? '');

/** Terraform's "attributes as blocks": a list/set(object) attribute may be written as blocks, even dynamic ones. */
const blockSyntaxAllowed = (attr: SchemaAttribute) => /^(list|set)\(object\)$/.test(attr.type ?? '');

function settableNames(block: SchemaBlock): string[] {
  return [
    ...Object.entries(block.attributes)
      .filter(([, a]) => !a.computed || a.optional || a.required)
      .map(([k]) => k),
    ...Object.keys(block.block_types),
  ];
}

/**
 * Checks one body (a resource's, or a nested block's) against a schema block. `meta` names the
 * meta-arguments allowed here (they are checked by the caller).
 */
function checkBody(
  ctx: Context,
  body: Body,
  block: SchemaBlock,
  path: string,
  meta?: ReadonlySet<string>,
): void {
  const dynamicNames = new Set<string>();

  for (const [key, value] of Object.entries(body)) {
    if (meta?.has(key)) continue;
    const here = join2(path, key);

    if (key === 'dynamic') {
      if (!isBody(value)) {
        report(ctx, here, 'malformed', 'a dynamic block needs one label, the name of the block it generates');
        continue;
      }
      for (const [name, instances] of Object.entries(value)) {
        dynamicNames.add(name);
        checkDynamic(ctx, name, instances, block, join2(here, name));
      }
      continue;
    }

    const bt = block.block_types[key];
    const attr = block.attributes[key];
    if (bt) {
      checkNestedBlocks(ctx, key, value, bt, path);
    } else if (attr) {
      if (attr.computed && !attr.optional && !attr.required) {
        report(ctx, here, 'computed-only', `"${key}" is computed by the provider and cannot be set`);
      } else if (isBodyList(value) && !acceptsListOfObjects(attr)) {
        report(
          ctx,
          here,
          'not-a-block',
          `"${key}" is an argument of type ${attr.type ?? 'unknown'}, not a block: write ${key} = ...`,
        );
      } else if (attr.nested) {
        checkNestedAttribute(ctx, attr.nested, value, here);
      }
    } else {
      const hint = suggestion(key, settableNames(block));
      if (isBodyList(value))
        report(ctx, here, 'unknown-block', `blocks of type "${key}" are not expected here${hint}`);
      else report(ctx, here, 'unknown-argument', `an argument named "${key}" is not expected here${hint}`);
    }
  }

  for (const [name, attr] of Object.entries(block.attributes)) {
    if (attr.required && !(name in body)) {
      report(
        ctx,
        join2(path, name),
        'missing-required',
        `the argument "${name}" is required, but no definition was found`,
      );
    }
  }
  for (const [name, bt] of Object.entries(block.block_types)) {
    if ((bt.min_items ?? 0) > 0 && !(name in body) && !dynamicNames.has(name)) {
      report(
        ctx,
        join2(path, name),
        'missing-required',
        `at least ${bt.min_items} "${name}" block${bt.min_items === 1 ? ' is' : 's are'} required`,
      );
    }
  }
}

function checkNestedBlocks(
  ctx: Context,
  key: string,
  value: unknown,
  bt: SchemaBlockType,
  path: string,
): void {
  const here = join2(path, key);
  if (bt.nesting_mode === 'map') {
    // `key "label" { ... }`: hcl2json nests one object level for the label.
    if (!isBody(value) || !Object.values(value).every(isBodyList)) {
      report(
        ctx,
        here,
        'not-an-attribute',
        `"${key}" is a block with one label: write ${key} "name" { ... }`,
      );
      return;
    }
    for (const [label, bodies] of Object.entries(value)) {
      for (const b of bodies as Body[]) checkBody(ctx, b, bt.block, join2(here, label));
    }
    return;
  }
  if (!isBodyList(value)) {
    report(
      ctx,
      here,
      'not-an-attribute',
      `"${key}" is a block, not an argument: write ${key} { ... } (or dynamic "${key}" { ... })`,
    );
    return;
  }
  if (bt.max_items !== undefined && value.length > bt.max_items) {
    report(
      ctx,
      here,
      'too-many-blocks',
      `no more than ${bt.max_items} "${key}" block(s) are allowed, found ${value.length}`,
    );
  }
  value.forEach((b, i) => {
    checkBody(ctx, b, bt.block, value.length > 1 ? `${here}[${i}]` : here);
  });
}

/** Keys of an object-typed attribute written literally (`x = { a = 1 }`, `x = [{ a = 1 }]` or as blocks). */
function checkNestedAttribute(
  ctx: Context,
  nested: Record<string, SchemaAttribute>,
  value: unknown,
  path: string,
): void {
  const objects = isBody(value) ? [value] : Array.isArray(value) ? value.filter(isBody) : [];
  objects.forEach((obj, i) => {
    const where = objects.length > 1 ? `${path}[${i}]` : path;
    for (const key of Object.keys(obj)) {
      const field = nested[key];
      if (!field) {
        report(
          ctx,
          join2(where, key),
          'unknown-argument',
          `"${key}" is not a field of this object${suggestion(key, Object.keys(nested))}`,
        );
      } else if (field.computed && !field.optional && !field.required) {
        report(
          ctx,
          join2(where, key),
          'computed-only',
          `"${key}" is computed by the provider and cannot be set`,
        );
      }
    }
  });
}

const DYNAMIC_ARGS = new Set(['for_each', 'iterator', 'labels', 'content']);

function checkDynamic(
  ctx: Context,
  name: string,
  instances: unknown,
  block: SchemaBlock,
  here: string,
): void {
  const bt = block.block_types[name];
  const attr = block.attributes[name];
  if (!bt && !(attr && blockSyntaxAllowed(attr))) {
    if (attr)
      report(
        ctx,
        here,
        'invalid-meta',
        `dynamic "${name}": "${name}" is an argument, and dynamic only generates blocks`,
      );
    else
      report(
        ctx,
        here,
        'unknown-block',
        `dynamic "${name}": blocks of type "${name}" are not expected here${suggestion(name, Object.keys(block.block_types))}`,
      );
    return;
  }
  if (!isBodyList(instances)) {
    report(ctx, here, 'malformed', `dynamic "${name}" must be a block`);
    return;
  }
  for (const [i, dyn] of instances.entries()) {
    const at = instances.length > 1 ? `${here}[${i}]` : here;
    for (const key of Object.keys(dyn)) {
      if (!DYNAMIC_ARGS.has(key))
        report(ctx, join2(at, key), 'invalid-meta', `"${key}" is not an argument of a dynamic block`);
    }
    if (!('for_each' in dyn))
      report(ctx, join2(at, 'for_each'), 'invalid-meta', 'a dynamic block needs for_each');
    const content = dyn.content;
    if (!isBodyList(content) || content.length !== 1) {
      report(ctx, join2(at, 'content'), 'invalid-meta', 'a dynamic block needs exactly one content block');
      continue;
    }
    const contentBody = content[0] as Body;
    if (bt) checkBody(ctx, contentBody, bt.block, join2(at, 'content'));
    else if (attr?.nested) checkNestedAttribute(ctx, attr.nested, contentBody, join2(at, 'content'));
  }
}

function checkLifecycle(
  ctx: Context,
  value: unknown,
  kind: 'resource' | 'data',
  schemaBlock: SchemaBlock,
): void {
  const allowed = kind === 'resource' ? RESOURCE_LIFECYCLE : DATA_LIFECYCLE;
  if (!isBodyList(value)) {
    report(ctx, 'lifecycle', 'not-an-attribute', 'lifecycle is a block: write lifecycle { ... }');
    return;
  }
  if (value.length > 1) report(ctx, 'lifecycle', 'invalid-meta', 'only one lifecycle block is allowed');
  for (const lc of value) {
    for (const [key, v] of Object.entries(lc)) {
      const here = join2('lifecycle', key);
      if (!allowed.has(key)) {
        report(
          ctx,
          here,
          'invalid-meta',
          `"${key}" is not allowed in the lifecycle block of a ${kind === 'resource' ? 'resource' : 'data source'}${suggestion(key, allowed)}`,
        );
      } else if (key === 'precondition' || key === 'postcondition') {
        if (!isBodyList(v)) report(ctx, here, 'not-an-attribute', `${key} is a block`);
        else {
          for (const [i, b] of v.entries())
            checkBody(ctx, b, CONDITION_BLOCK, v.length > 1 ? `${here}[${i}]` : here);
        }
      } else if (key === 'ignore_changes') {
        checkIgnoreChanges(ctx, v, schemaBlock, here);
      }
    }
  }
}

/** `ignore_changes = [engine_version, tags["x"]]` arrives as `["${engine_version}", "${tags[\"x\"]}"]`. */
function checkIgnoreChanges(ctx: Context, value: unknown, block: SchemaBlock, here: string): void {
  if (!Array.isArray(value)) {
    if (typeof value === 'string' && /^\$\{\s*all\s*\}$/.test(value)) return;
    report(ctx, here, 'invalid-meta', 'ignore_changes takes a list of attribute names, or all');
    return;
  }
  const known = new Set([...Object.keys(block.attributes), ...Object.keys(block.block_types)]);
  for (const item of value) {
    const m = typeof item === 'string' ? /^\$\{\s*([A-Za-z_][A-Za-z0-9_-]*)/.exec(item) : null;
    if (!m) continue;
    const name = m[1] as string;
    if (!known.has(name)) {
      report(
        ctx,
        here,
        'unknown-argument',
        `ignore_changes refers to "${name}", which this type does not have${suggestion(name, known)}`,
      );
    }
  }
}

function checkResourceLike(
  ctx: Context,
  kind: 'resource' | 'data',
  body: Body,
  schemaBlock: SchemaBlock,
): void {
  const meta = kind === 'resource' ? RESOURCE_META : DATA_META;
  if ('count' in body && 'for_each' in body) {
    report(ctx, 'count', 'invalid-meta', '"count" and "for_each" cannot both be set');
  }
  if ('lifecycle' in body) checkLifecycle(ctx, body.lifecycle, kind, schemaBlock);
  for (const key of ['provisioner', 'connection'] as const) {
    if (key in body && !isBody(body[key]) && !isBodyList(body[key])) {
      report(ctx, key, 'not-an-attribute', `${key} is a block`);
    }
  }
  if ('depends_on' in body && !Array.isArray(body.depends_on)) {
    report(ctx, 'depends_on', 'invalid-meta', 'depends_on takes a list of references');
  }
  checkBody(ctx, body, schemaBlock, '', meta);
}

function schemaFor(schema: ProviderSchema, kind: 'resource' | 'data', type: string): SchemaBlock | undefined {
  if (kind === 'resource') return schema.resource_schemas[type]?.block ?? BUILTIN_RESOURCES[type];
  return schema.data_source_schemas[type]?.block ?? BUILTIN_DATA_SOURCES[type];
}

function unknownTypeMessage(schema: ProviderSchema, kind: string, type: string): string {
  const covered = `${schema.source.provider} ${schema.source.provider_version}`;
  if (!type.startsWith('aws_')) {
    return `${kind} type "${type}" is not covered by the schema fixture, which holds ${covered} only`;
  }
  return (
    `${kind} type "${type}" is not in the schema fixture (${covered}): run \`npm run schema:extract\` to add ` +
    'the types the Terraform uses (it exits with a warning if the provider has no such type)'
  );
}

function checkTypedBlocks(
  schema: ProviderSchema,
  file: string,
  kind: 'resource' | 'data',
  section: unknown,
  problems: SchemaProblem[],
  seen: Map<string, string>,
  prefix = '',
): void {
  const top: Context = { file, block: 'top-level', type: '', name: '', problems };
  if (!isBody(section)) {
    report(top, kind, 'malformed', `a ${kind} block needs two labels: ${kind} "TYPE" "NAME" { ... }`);
    return;
  }
  for (const [type, byName] of Object.entries(section)) {
    if (!isBody(byName)) {
      report(
        top,
        `${kind}.${type}`,
        'malformed',
        `a ${kind} block needs two labels: ${kind} "${type}" "NAME" { ... }`,
      );
      continue;
    }
    const block = schemaFor(schema, kind, type);
    for (const [name, bodies] of Object.entries(byName)) {
      const ctx: Context = { file, block: kind, type, name, problems };
      if (!isBodyList(bodies)) {
        report(ctx, '', 'malformed', `a ${kind} block needs exactly two labels`);
        continue;
      }
      const address = `${prefix}${kind === 'data' ? 'data.' : ''}${type}.${name}`;
      const first = seen.get(address);
      if (first !== undefined || bodies.length > 1) {
        report(
          ctx,
          '',
          'duplicate',
          `${address} is defined more than once${first !== undefined ? ` (also in ${first})` : ''}`,
        );
      }
      seen.set(address, file);
      if (!block) {
        report(
          ctx,
          '',
          'unknown-type',
          unknownTypeMessage(schema, kind === 'data' ? 'data source' : 'resource', type),
        );
        continue;
      }
      for (const body of bodies) checkResourceLike(ctx, kind, body, block);
    }
  }
}

function checkProviders(
  schema: ProviderSchema,
  file: string,
  section: unknown,
  problems: SchemaProblem[],
  seen: Map<string, string>,
): void {
  const top: Context = { file, block: 'top-level', type: '', name: '', problems };
  if (!isBody(section)) {
    report(top, 'provider', 'malformed', 'a provider block needs one label: provider "NAME" { ... }');
    return;
  }
  for (const [name, bodies] of Object.entries(section)) {
    if (!isBodyList(bodies)) {
      report(top, `provider.${name}`, 'malformed', 'a provider block needs exactly one label');
      continue;
    }
    const block = schema.provider[name]?.block;
    for (const body of bodies) {
      const alias = typeof body.alias === 'string' ? body.alias : 'default';
      const ctx: Context = { file, block: 'provider', type: name, name: alias, problems };
      const address = `provider.${name}.${alias}`;
      const first = seen.get(address);
      if (first !== undefined) {
        report(
          ctx,
          '',
          'duplicate',
          `provider "${name}" ${alias === 'default' ? 'without alias' : `alias "${alias}"`} is configured more than once (also in ${first})`,
        );
      }
      seen.set(address, file);
      if (!block) {
        report(ctx, '', 'unknown-type', unknownTypeMessage(schema, 'provider', name));
        continue;
      }
      checkBody(ctx, body, block, '', PROVIDER_META);
    }
  }
}

/** Accepts a single file's JSON (named `file`), one {@link ParsedHclFile}, or all files of a directory. */
function asFiles(
  parsed: HclJson | ParsedHclFile | readonly ParsedHclFile[],
  file: string,
): readonly ParsedHclFile[] {
  if (Array.isArray(parsed)) return parsed as readonly ParsedHclFile[];
  const maybe = parsed as Partial<ParsedHclFile>;
  if (typeof maybe.file === 'string' && isBody(maybe.hcl) && Object.keys(parsed).length === 2)
    return [maybe as ParsedHclFile];
  return [{ file, hcl: parsed as HclJson }];
}

/**
 * Checks every `resource`, `data` (also inside `check` blocks) and `provider` block against the schema.
 * Pass the files of one module together so that duplicate addresses across files are found.
 * Returns the problems, empty when all is well.
 */
export function checkAgainstSchema(
  parsed: HclJson | ParsedHclFile | readonly ParsedHclFile[],
  schema: ProviderSchema,
  options: { file?: string } = {},
): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const seen = new Map<string, string>();
  for (const { file, hcl } of asFiles(parsed, options.file ?? '<hcl>')) {
    const top: Context = { file, block: 'top-level', type: '', name: '', problems };
    for (const [key, value] of Object.entries(hcl)) {
      if (!TOP_LEVEL.has(key)) {
        report(
          top,
          key,
          'unknown-block',
          `"${key}" is not a Terraform top-level block${suggestion(key, TOP_LEVEL)}`,
        );
        continue;
      }
      if (key === 'resource' || key === 'data') checkTypedBlocks(schema, file, key, value, problems, seen);
      else if (key === 'provider') checkProviders(schema, file, value, problems, seen);
      else if (key === 'check' && isBody(value)) {
        for (const [checkName, bodies] of Object.entries(value)) {
          if (!isBodyList(bodies)) continue;
          for (const body of bodies) {
            if ('data' in body)
              checkTypedBlocks(schema, file, 'data', body.data, problems, seen, `check.${checkName}.`);
          }
        }
      }
    }
  }
  return sortProblems(problems);
}

const BLOCK_ORDER: SchemaProblem['block'][] = [
  'top-level',
  'terraform',
  'provider',
  'variable',
  'locals',
  'resource',
  'data',
  'module',
  'output',
];

/** Sorted by file, then block (provider, resource, data, module), type, name and path; stable otherwise. */
export function sortProblems(problems: readonly SchemaProblem[]): SchemaProblem[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...problems].sort(
    (a, b) =>
      cmp(a.file, b.file) ||
      BLOCK_ORDER.indexOf(a.block) - BLOCK_ORDER.indexOf(b.block) ||
      cmp(a.type, b.type) ||
      cmp(a.name, b.name) ||
      cmp(a.path, b.path),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Module calls

const MODULE_META = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on']);

/** Directories of the local modules (`source = "./..."` or `"../..."`) the files call, absolute. */
export function localModuleDirs(
  files: readonly ParsedHclFile[],
  baseDir: (file: string) => string,
): string[] {
  const dirs = new Set<string>();
  for (const { file, hcl } of files) {
    if (!isBody(hcl.module)) continue;
    for (const bodies of Object.values(hcl.module)) {
      if (!isBodyList(bodies)) continue;
      for (const body of bodies) {
        if (typeof body.source === 'string' && /^\.\.?\//.test(body.source))
          dirs.add(resolve(baseDir(file), body.source));
      }
    }
  }
  return [...dirs].sort();
}

/**
 * Checks each call of a local module against that module's variables: every argument must be a declared
 * variable or a module meta-argument, and every variable without a default must be set.
 * `modules` maps a module's absolute directory to its parsed files; `baseDir` gives a calling file's directory.
 */
export function checkModuleCalls(
  files: readonly ParsedHclFile[],
  modules: ReadonlyMap<string, readonly ParsedHclFile[]>,
  baseDir: (file: string) => string,
): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const { file, hcl } of files) {
    if (!isBody(hcl.module)) continue;
    for (const [name, bodies] of Object.entries(hcl.module)) {
      if (!isBodyList(bodies)) continue;
      for (const body of bodies) {
        const source = typeof body.source === 'string' ? body.source : '';
        const ctx: Context = { file, block: 'module', type: source, name, problems };
        if (!/^\.\.?\//.test(source)) continue; // registry or remote modules are not checked
        const dir = resolve(baseDir(file), source);
        const moduleFiles = modules.get(dir);
        if (!moduleFiles || moduleFiles.length === 0) {
          report(ctx, 'source', 'unknown-type', `no Terraform files found in ${source}`);
          continue;
        }
        const variables = new Map<string, Body>();
        for (const mf of moduleFiles) {
          if (!isBody(mf.hcl.variable)) continue;
          for (const [v, decls] of Object.entries(mf.hcl.variable)) {
            if (isBodyList(decls)) variables.set(v, decls[0] as Body);
          }
        }
        for (const key of Object.keys(body)) {
          if (MODULE_META.has(key) || variables.has(key)) continue;
          report(
            ctx,
            key,
            'unknown-argument',
            `the module has no variable "${key}"${suggestion(key, variables.keys())}`,
          );
        }
        for (const [v, decl] of variables) {
          if (!('default' in decl) && !(v in body)) {
            report(ctx, v, 'missing-required', `the module's variable "${v}" has no default and is not set`);
          }
        }
      }
    }
  }
  return sortProblems(problems);
}

// ---------------------------------------------------------------------------------------------------------
// The terraform block and the s3 backend (built into Terraform, so not in the provider schema)

const TERRAFORM_SETTINGS = new Set([
  'required_version',
  'required_providers',
  'backend',
  'cloud',
  'experiments',
  'provider_meta',
]);
const REQUIRED_PROVIDER_FIELDS = new Set(['source', 'version', 'configuration_aliases']);

/**
 * The s3 backend's arguments in Terraform 1.10/1.11 (developer.hashicorp.com/terraform/language/backend/s3),
 * without the deprecated ones: a generated root or the shared backend file uses none of those.
 */
export const S3_BACKEND_ARGUMENTS: ReadonlySet<string> = new Set([
  'bucket',
  'key',
  'region',
  'encrypt',
  'kms_key_id',
  'sse_customer_key',
  'acl',
  'use_lockfile',
  'workspace_key_prefix',
  'access_key',
  'secret_key',
  'token',
  'profile',
  'shared_config_files',
  'shared_credentials_files',
  'allowed_account_ids',
  'forbidden_account_ids',
  'custom_ca_bundle',
  'ec2_metadata_service_endpoint',
  'ec2_metadata_service_endpoint_mode',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'insecure',
  'max_retries',
  'retry_mode',
  'skip_credentials_validation',
  'skip_metadata_api_check',
  'skip_region_validation',
  'skip_requesting_account_id',
  'skip_s3_checksum',
  'sts_region',
  'use_dualstack_endpoint',
  'use_fips_endpoint',
  'use_path_style',
  // blocks
  'assume_role',
  'assume_role_with_web_identity',
  'endpoints',
]);
const S3_BACKEND_DEPRECATED: Readonly<Record<string, string>> = {
  dynamodb_table: 'use_lockfile (S3-native locking)',
  dynamodb_endpoint: 'endpoints { dynamodb = ... }',
  endpoint: 'endpoints { s3 = ... }',
  iam_endpoint: 'endpoints { iam = ... }',
  sts_endpoint: 'endpoints { sts = ... }',
  force_path_style: 'use_path_style',
  role_arn: 'assume_role { role_arn = ... }',
};

/** Problems with arguments of the s3 backend (a `backend "s3"` body, or a -backend-config file's). */
export function checkS3BackendArguments(body: Record<string, unknown>, file: string): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const ctx: Context = { file, block: 'terraform', type: 'backend.s3', name: '', problems };
  for (const name of Object.keys(body)) {
    if (S3_BACKEND_ARGUMENTS.has(name)) continue;
    const instead = S3_BACKEND_DEPRECATED[name];
    report(
      ctx,
      name,
      'unknown-argument',
      instead
        ? `"${name}" is deprecated in the s3 backend: use ${instead}`
        : `the s3 backend has no argument "${name}"${suggestion(name, S3_BACKEND_ARGUMENTS)}`,
    );
  }
  return problems;
}

/**
 * Checks `terraform` blocks: their settings, each `required_providers` entry (`source`, `version`), and
 * the arguments of an s3 backend. Other backends and `cloud` are not checked.
 */
export function checkTerraformSettings(files: readonly ParsedHclFile[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const { file, hcl } of files) {
    if (!('terraform' in hcl)) continue;
    const ctx: Context = { file, block: 'terraform', type: '', name: '', problems };
    if (!isBodyList(hcl.terraform)) {
      report(ctx, '', 'not-a-block', 'terraform must be a block');
      continue;
    }
    for (const body of hcl.terraform) {
      for (const key of Object.keys(body)) {
        if (!TERRAFORM_SETTINGS.has(key))
          report(
            ctx,
            key,
            'unknown-argument',
            `"${key}" is not a terraform setting${suggestion(key, TERRAFORM_SETTINGS)}`,
          );
      }
      for (const providers of isBodyList(body.required_providers) ? body.required_providers : []) {
        for (const [name, entry] of Object.entries(providers)) {
          if (!isBody(entry)) {
            report(ctx, `required_providers.${name}`, 'malformed', `${name} must be { source, version }`);
            continue;
          }
          for (const field of Object.keys(entry)) {
            if (!REQUIRED_PROVIDER_FIELDS.has(field))
              report(
                ctx,
                `required_providers.${name}.${field}`,
                'unknown-argument',
                `a required provider has no "${field}"${suggestion(field, REQUIRED_PROVIDER_FIELDS)}`,
              );
          }
        }
      }
      if (!('backend' in body)) continue;
      const backends = isBody(body.backend) ? Object.entries(body.backend) : [];
      if (backends.length !== 1) {
        report(ctx, 'backend', 'malformed', 'a terraform block has one backend "TYPE" block');
        continue;
      }
      const [type, bodies] = backends[0] as [string, unknown];
      if (!isBodyList(bodies) || bodies.length !== 1) {
        report(ctx, `backend.${type}`, 'duplicate', `one backend "${type}" block, not several`);
        continue;
      }
      if (type === 's3') problems.push(...checkS3BackendArguments(bodies[0] as Body, file));
    }
  }
  return sortProblems(problems);
}

// ---------------------------------------------------------------------------------------------------------
// Provider version constraints

const parseVersion = (v: string): number[] => v.split('.').map((p) => Number.parseInt(p, 10) || 0);

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether `version` (e.g. the fixture's 6.25.0) meets a Terraform version constraint such as `~> 6.0, != 6.1.0`. */
export function versionSatisfies(version: string, constraint: string): boolean {
  const v = parseVersion(version);
  return constraint
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '')
    .every((c) => {
      const m = /^(~>|>=|<=|!=|=|>|<)?\s*v?([0-9][0-9.]*)$/.exec(c);
      if (!m) throw new Error(`unsupported version constraint "${c}"`);
      const op = m[1] ?? '=';
      const raw = m[2] as string;
      const w = parseVersion(raw);
      const cmp = compareVersions(v, w);
      switch (op) {
        case '=':
          return cmp === 0;
        case '!=':
          return cmp !== 0;
        case '>':
          return cmp > 0;
        case '>=':
          return cmp >= 0;
        case '<':
          return cmp < 0;
        case '<=':
          return cmp <= 0;
        default: {
          // ~> 6.0 allows 6.x from 6.0; ~> 6.1.2 allows 6.1.x from 6.1.2.
          const parts = raw.split('.').length;
          if (cmp < 0) return false;
          const upper = w.slice(0, Math.max(1, parts - 1));
          upper[upper.length - 1] = (upper[upper.length - 1] ?? 0) + 1;
          return compareVersions(v, upper) < 0;
        }
      }
    });
}

/** The `version` constraints the files give for a provider in `terraform { required_providers { ... } }`. */
export function requiredProviderVersions(files: readonly ParsedHclFile[], provider: string): string[] {
  const out: string[] = [];
  for (const { hcl } of files) {
    const terraform = hcl.terraform;
    if (!isBodyList(terraform)) continue;
    for (const t of terraform) {
      const rps = t.required_providers;
      if (!isBodyList(rps)) continue;
      for (const rp of rps) {
        const entry = rp[provider];
        if (isBody(entry) && typeof entry.version === 'string') out.push(entry.version);
        else if (typeof entry === 'string') out.push(entry);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// References

interface Declarations {
  variables: Set<string>;
  locals: Set<string>;
  /** `TYPE.NAME` and `data.TYPE.NAME` -> how instances are keyed. */
  resources: Map<string, 'single' | 'count' | 'for_each'>;
  modules: Map<string, { keyed: 'single' | 'count' | 'for_each'; outputs?: Set<string> }>;
}

const keyedBy = (body: Body): 'single' | 'count' | 'for_each' =>
  'count' in body ? 'count' : 'for_each' in body ? 'for_each' : 'single';

function declarations(
  files: readonly ParsedHclFile[],
  modules: ReadonlyMap<string, readonly ParsedHclFile[]>,
  baseDir: (file: string) => string,
): Declarations {
  const d: Declarations = {
    variables: new Set(),
    locals: new Set(),
    resources: new Map(),
    modules: new Map(),
  };
  for (const { file, hcl } of files) {
    if (isBody(hcl.variable)) for (const v of Object.keys(hcl.variable)) d.variables.add(v);
    if (isBodyList(hcl.locals)) for (const l of hcl.locals) for (const k of Object.keys(l)) d.locals.add(k);
    for (const kind of ['resource', 'data'] as const) {
      const section = hcl[kind];
      if (!isBody(section)) continue;
      for (const [type, byName] of Object.entries(section)) {
        if (!isBody(byName)) continue;
        for (const [name, bodies] of Object.entries(byName)) {
          if (isBodyList(bodies)) {
            d.resources.set(`${kind === 'data' ? 'data.' : ''}${type}.${name}`, keyedBy(bodies[0] as Body));
          }
        }
      }
    }
    if (isBody(hcl.module)) {
      for (const [name, bodies] of Object.entries(hcl.module)) {
        if (!isBodyList(bodies)) continue;
        const body = bodies[0] as Body;
        let outputs: Set<string> | undefined;
        if (typeof body.source === 'string' && /^\.\.?\//.test(body.source)) {
          const moduleFiles = modules.get(resolve(baseDir(file), body.source));
          if (moduleFiles) {
            outputs = new Set();
            for (const mf of moduleFiles)
              if (isBody(mf.hcl.output)) for (const o of Object.keys(mf.hcl.output)) outputs.add(o);
          }
        }
        d.modules.set(name, { keyed: keyedBy(body), ...(outputs ? { outputs } : {}) });
      }
    }
  }
  return d;
}

/** Where a string value sits: its top-level block, and what that block is keyed by. */
interface ValueSite {
  ctx: Context;
  path: string;
  keyed: 'single' | 'count' | 'for_each' | 'none';
}

function collectStrings(value: unknown, path: string, out: { path: string; value: string }[]): void {
  if (typeof value === 'string') {
    if (value.includes('${') || value.includes('%{')) out.push({ path, value });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      collectStrings(v, isBody(v) ? path : `${path}[${i}]`, out);
    });
  } else if (isBody(value)) {
    for (const [k, v] of Object.entries(value)) collectStrings(v, join2(path, k), out);
  }
}

const isIndex = (segment: string) => /^\d+$/.test(segment) || /^".*"$/.test(segment);

function attributeExists(block: SchemaBlock | undefined, name: string): boolean {
  if (!block) return true; // unknown type: reported by checkAgainstSchema
  return name === 'id' || name in block.attributes || name in block.block_types;
}

async function checkValue(
  site: ValueSite,
  value: string,
  d: Declarations,
  schema: ProviderSchema,
): Promise<void> {
  const refs = await findReferences(value);
  if (!refs) return; // not parseable as a template: nothing to say
  const report2 = (code: ProblemCode, message: string) => report(site.ctx, site.path, code, message);
  for (const ref of refs) {
    const parts = ref.split('.');
    const [root, second, third] = parts;
    if (root === undefined || second === undefined) continue;
    if (root === 'var') {
      if (!d.variables.has(second))
        report2('undeclared-reference', `var.${second} is not declared${suggestion(second, d.variables)}`);
    } else if (root === 'local') {
      if (!d.locals.has(second))
        report2('undeclared-reference', `local.${second} is not declared${suggestion(second, d.locals)}`);
    } else if (root === 'count') {
      if (site.keyed !== 'count')
        report2('invalid-meta', `count.${second} is only available in a block with count`);
    } else if (root === 'each') {
      if (site.keyed !== 'for_each')
        report2('invalid-meta', `each.${second} is only available in a block with for_each`);
    } else if (root === 'module') {
      const mod = d.modules.get(second);
      if (!mod) {
        report2(
          'undeclared-reference',
          `module.${second} is not declared${suggestion(second, d.modules.keys())}`,
        );
        continue;
      }
      const rest = parts.slice(2);
      checkInstanceKey(report2, `module.${second}`, mod.keyed, rest);
      const output = rest.find((s) => !isIndex(s));
      if (output !== undefined && mod.outputs && !mod.outputs.has(output)) {
        report2(
          'unsupported-attribute',
          `module.${second} has no output "${output}"${suggestion(output, mod.outputs)}`,
        );
      }
    } else if (root === 'data') {
      if (third === undefined) continue;
      const address = `data.${second}.${third}`;
      checkResourceRef(
        report2,
        address,
        parts.slice(3),
        d,
        schema.data_source_schemas[second]?.block ?? BUILTIN_DATA_SOURCES[second],
      );
    } else if (schema.resource_schemas[root] || BUILTIN_RESOURCES[root] || /^aws_/.test(root)) {
      checkResourceRef(
        report2,
        `${root}.${second}`,
        parts.slice(2),
        d,
        schema.resource_schemas[root]?.block ?? BUILTIN_RESOURCES[root],
      );
    }
  }
}

function checkInstanceKey(
  report2: (code: ProblemCode, message: string) => void,
  address: string,
  keyed: 'single' | 'count' | 'for_each',
  rest: string[],
): void {
  const first = rest[0];
  if (first === undefined) return; // the whole object (or a splat): fine either way
  if (keyed === 'single' && isIndex(first)) {
    report2('instance-key', `${address} has neither count nor for_each, so it takes no [${first}]`);
  } else if (keyed !== 'single' && !isIndex(first)) {
    report2(
      'instance-key',
      `${address} has ${keyed}: refer to one instance (${address}[...].${first}) or use a splat`,
    );
  }
}

function checkResourceRef(
  report2: (code: ProblemCode, message: string) => void,
  address: string,
  rest: string[],
  d: Declarations,
  block: SchemaBlock | undefined,
): void {
  const keyed = d.resources.get(address);
  if (!keyed) {
    const similar = suggestion(address, d.resources.keys());
    report2('undeclared-reference', `${address} is not declared in this module${similar}`);
    return;
  }
  checkInstanceKey(report2, address, keyed, rest);
  const attr = rest.find((s) => !isIndex(s));
  if (attr !== undefined && !attributeExists(block, attr)) {
    const names = block ? [...Object.keys(block.attributes), ...Object.keys(block.block_types)] : [];
    report2('unsupported-attribute', `${address} has no attribute "${attr}"${suggestion(attr, names)}`);
  }
}

/**
 * What `terraform validate` says about references in one module (pass all its files): every `var.`,
 * `local.`, `module.`, `data.` and resource reference must be declared, a resource or data attribute must
 * exist in the schema, a module output in the called local module, `[index]` must match count/for_each,
 * and `count.`/`each.` need count/for_each. References are found with HashiCorp's expression parser.
 * `modules` (absolute directory -> files) lets module outputs be checked; see {@link localModuleDirs}.
 */
export async function checkReferences(
  files: readonly ParsedHclFile[],
  schema: ProviderSchema,
  modules: ReadonlyMap<string, readonly ParsedHclFile[]> = new Map(),
  baseDir: (file: string) => string = () => '.',
): Promise<SchemaProblem[]> {
  const d = declarations(files, modules, baseDir);
  const problems: SchemaProblem[] = [];
  const jobs: Promise<void>[] = [];
  const visit = (
    ctx: Context,
    keyed: ValueSite['keyed'],
    body: unknown,
    skip: ReadonlySet<string> = new Set(),
  ) => {
    const strings: { path: string; value: string }[] = [];
    if (isBody(body)) {
      for (const [k, v] of Object.entries(body)) if (!skip.has(k)) collectStrings(v, k, strings);
    } else collectStrings(body, '', strings);
    for (const { path, value } of strings) jobs.push(checkValue({ ctx, path, keyed }, value, d, schema));
  };
  for (const { file, hcl } of files) {
    const ctxFor = (block: SchemaProblem['block'], type: string, name: string): Context => ({
      file,
      block,
      type,
      name,
      problems,
    });
    for (const kind of ['resource', 'data'] as const) {
      const section = hcl[kind];
      if (!isBody(section)) continue;
      for (const [type, byName] of Object.entries(section)) {
        if (!isBody(byName)) continue;
        for (const [name, bodies] of Object.entries(byName)) {
          if (!isBodyList(bodies)) continue;
          for (const body of bodies) {
            const lifecycle = isBodyList(body.lifecycle) ? body.lifecycle : [];
            // ignore_changes names attributes, not references; the rest of lifecycle holds expressions.
            visit(ctxFor(kind, type, name), keyedBy(body), body, new Set(['lifecycle']));
            for (const lc of lifecycle)
              visit(ctxFor(kind, type, name), keyedBy(body), lc, new Set(['ignore_changes']));
          }
        }
      }
    }
    if (isBody(hcl.module)) {
      for (const [name, bodies] of Object.entries(hcl.module)) {
        if (isBodyList(bodies))
          for (const body of bodies) visit(ctxFor('module', '', name), keyedBy(body), body);
      }
    }
    if (isBody(hcl.output)) {
      for (const [name, bodies] of Object.entries(hcl.output)) {
        if (isBodyList(bodies)) for (const body of bodies) visit(ctxFor('output', '', name), 'none', body);
      }
    }
    if (isBody(hcl.variable)) {
      for (const [name, bodies] of Object.entries(hcl.variable)) {
        // `type` is a type constraint, not an expression with references.
        if (isBodyList(bodies))
          for (const body of bodies) visit(ctxFor('variable', '', name), 'none', body, new Set(['type']));
      }
    }
    if (isBodyList(hcl.locals)) for (const l of hcl.locals) visit(ctxFor('locals', '', ''), 'none', l);
    if (isBody(hcl.provider)) {
      for (const [name, bodies] of Object.entries(hcl.provider)) {
        if (isBodyList(bodies))
          for (const body of bodies)
            visit(
              ctxFor('provider', name, typeof body.alias === 'string' ? body.alias : 'default'),
              'none',
              body,
            );
      }
    }
  }
  await Promise.all(jobs);
  return sortProblems(problems);
}
