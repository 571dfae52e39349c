import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  forReport,
  parsePlanDocument,
  planAsTheSchemaReadsIt,
  readPlanWithSchema,
} from '../../src/domain/terraform-json.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'terraform-json');
const plans = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(FIXTURES, d.name))
      .filter((f) => f.endsWith('-plan.json'))
      .map((f) => `${d.name}/${f}`),
  );

type Doc = Record<string, unknown>;
const load = (name: string): Doc => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
const firstChange = (doc: Doc) => (doc.resource_changes as Doc[])[0] as Doc;

/** Broken copies: each one field of what the schema reads, made wrong. */
const breakages: Array<[string, (doc: Doc) => void]> = [
  ['terraform_version missing', (d) => delete d.terraform_version],
  ['terraform_version empty', (d) => (d.terraform_version = '')],
  ['timestamp a number', (d) => (d.timestamp = 5)],
  ['timestamp null', (d) => (d.timestamp = null)],
  ['resource_changes an object', (d) => (d.resource_changes = {})],
  ['resource_drift absent', (d) => delete d.resource_drift],
  ['a change not an object', (d) => ((d.resource_changes as unknown[])[0] = 'x')],
  ['an address empty', (d) => (firstChange(d).address = '')],
  ['a module_address a number', (d) => (firstChange(d).module_address = 3)],
  ['a module_address null', (d) => (firstChange(d).module_address = null)],
  ['a mode unknown', (d) => (firstChange(d).mode = 'other')],
  ['a type missing', (d) => delete firstChange(d).type],
  ['a name a number', (d) => (firstChange(d).name = 1)],
  ['a change missing', (d) => delete firstChange(d).change],
  ['actions empty', (d) => ((firstChange(d).change as Doc).actions = [])],
  ['an action unknown', (d) => ((firstChange(d).change as Doc).actions = ['explode'])],
  ['actions not an array', (d) => ((firstChange(d).change as Doc).actions = 'create')],
  ['before missing', (d) => delete (firstChange(d).change as Doc).before],
  ['after missing', (d) => delete (firstChange(d).change as Doc).after],
  ['after null', (d) => ((firstChange(d).change as Doc).after = null)],
];

describe("the plan's fast path reads as planSchema does", () => {
  it.each(plans)('%s, raw and as the reporter sends it: the same plan', (name) => {
    for (const doc of [load(name), forReport(load(name)) as Doc]) {
      const fast = planAsTheSchemaReadsIt(doc);
      const schema = readPlanWithSchema(forReport(doc));
      expect(fast).not.toBeNull();
      expect(schema.ok).toBe(true);
      if (schema.ok) expect(planAsTheSchemaReadsIt(forReport(doc))).toEqual(schema.value);
    }
  });

  it.each(breakages)(
    'a copy with %s: the same verdict, and the schema’s issues when refused',
    (_, breakage) => {
      for (const name of plans) {
        const doc = forReport(load(name)) as Doc;
        breakage(doc);
        const schema = readPlanWithSchema(doc);
        expect(planAsTheSchemaReadsIt(doc) !== null, name).toBe(schema.ok);
        expect(parsePlanDocument(doc), name).toEqual(schema);
      }
    },
  );

  it('still refuses a sensitive value the fast path reads past', () => {
    const doc = forReport(load('aurora/create-plan.json')) as Doc;
    const change = firstChange(doc).change as Doc;
    change.after = { ...(change.after as Doc), master_password: 'hunter2' };
    change.after_sensitive = { master_password: true };
    const parsed = parsePlanDocument(doc);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.issues.map((i) => i.path)).toEqual([`${firstChange(doc).address}.master_password`]);
  });
});
