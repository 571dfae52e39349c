import type * as z from 'zod';
import { didYouMean } from './suggest.js';

/**
 * zod's issues in a platform engineer's words: what a key should be and what it was, e.g. `must be a
 * whole number from 1 to 35, got "seven"`. An error map for parses whose schema leaves the wording to
 * zod (the policy file); a message a schema sets itself still wins.
 */
export const plainWords: z.core.$ZodErrorMap = (issue) => {
  const schema = issue.schema ?? issue.inst;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = expectation(schema) ?? issue.expected;
      return issue.input === undefined
        ? `is required (${expected})`
        : `must be ${expected}, got ${shown(issue.input)}`;
    }
    case 'too_small':
    case 'too_big':
      return outOfBounds(issue, schema);
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}, got ${shown(issue.input)}`;
    case 'invalid_value': {
      const values = issue.values.map(String);
      if (values.length === 1) return `must be ${values[0]}`;
      return `must be one of: ${values.join(', ')}, got ${shown(issue.input)}${didYouMean(issue.input, values)}`;
    }
    case 'unrecognized_keys': {
      const allowed = knownKeys(schema);
      const hint = issue.keys.length === 1 ? didYouMean(issue.keys[0], allowed) : '';
      return `is not a known key; allowed: ${allowed.join(', ')}${hint}`;
    }
    case 'invalid_key':
      return issue.issues.map((i) => i.message).join('; ');
    case 'invalid_format':
      return issue.format === 'email'
        ? `must be an email address, got ${shown(issue.input)}`
        : `must be a valid ${issue.format}, got ${shown(issue.input)}`;
    case 'invalid_union':
      return `does not match any allowed form, got ${shown(issue.input)}`;
    default:
      return 'is not valid';
  }
};

type Schema = z.core.$ZodType | z.core.$ZodCheck | undefined;
type BoundIssue = Extract<z.core.$ZodRawIssue, { code: 'too_small' | 'too_big' }>;

function outOfBounds(issue: BoundIssue, schema: Schema): string {
  const small = issue.code === 'too_small';
  const limit = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  const word = small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  if (issue.origin === 'array' || issue.origin === 'set') return `must list ${word} ${count(limit, 'item')}`;
  if (issue.origin === 'string') return `must be ${word} ${count(limit, 'character')} long`;
  const expected = schema && isSchema(schema) ? expectation(schema) : undefined;
  return `must be ${expected ?? `${word} ${limit}`}, got ${shown(issue.input)}`;
}

/** What a schema accepts, as a noun phrase: `an object with default, min and max`, `true or false`. */
function expectation(schema: Schema): string | undefined {
  if (!schema || !isSchema(schema)) return undefined;
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  switch (def.type) {
    case 'object':
      return `an object with ${and(Object.keys(def.shape as object))}`;
    case 'record':
      return 'an object of named entries';
    case 'array':
      return `a list of ${plural(def.element as z.core.$ZodType)}`;
    case 'number':
      return numberWords(schema._zod.def.checks ?? []);
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'text';
    case 'enum':
    case 'literal': {
      const values = [...(schema._zod.values ?? [])].map(String);
      return values.length === 1 ? values[0] : `one of: ${values.join(', ')}`;
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      return expectation(def.innerType as z.core.$ZodType);
    case 'pipe': {
      const from = def.in as z.core.$ZodType;
      // A preprocess step accepts anything; what it hands on says what is expected.
      return expectation(from._zod.def.type === 'transform' ? (def.out as z.core.$ZodType) : from);
    }
    default:
      return undefined;
  }
}

function plural(element: z.core.$ZodType): string {
  switch (element._zod.def.type) {
    case 'string':
      return 'text values';
    case 'enum':
      return `values from: ${[...(element._zod.values ?? [])].join(', ')}`;
    case 'object':
      return 'objects';
    case 'number':
      return 'numbers';
    default:
      return 'values';
  }
}

/** `a whole number from 1 to 35`: the number's type and bounds, read from its checks. */
function numberWords(checks: readonly z.core.$ZodCheck[]): string {
  let whole = false;
  let min: unknown;
  let max: unknown;
  let step: unknown;
  for (const check of checks) {
    const def = check._zod.def as z.core.$ZodCheckDef & { value?: unknown; format?: string };
    if (def.check === 'number_format') whole = def.format?.includes('int') ?? false;
    else if (def.check === 'greater_than') min = def.value;
    else if (def.check === 'less_than') max = def.value;
    else if (def.check === 'multiple_of') step = def.value;
  }
  let words = whole ? 'a whole number' : 'a number';
  if (min !== undefined && max !== undefined) words += ` from ${min} to ${max}`;
  else if (min !== undefined) words += ` of at least ${min}`;
  else if (max !== undefined) words += ` of at most ${max}`;
  if (step !== undefined) words += ` in steps of ${step}`;
  return words;
}

function knownKeys(schema: Schema): string[] {
  if (!schema || !isSchema(schema)) return [];
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  if (def.type === 'object') return Object.keys(def.shape as object);
  if (def.type === 'record') return [...((def.keyType as z.core.$ZodType)._zod.values ?? [])].map(String);
  return [];
}

/** A schema has a type; a check (`.min()`, `.int()`) only has the schema it was attached to. */
const isSchema = (value: z.core.$ZodType | z.core.$ZodCheck): value is z.core.$ZodType =>
  'type' in value._zod.def;

/** The value a key had, short enough for one line. */
function shown(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function and(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}
