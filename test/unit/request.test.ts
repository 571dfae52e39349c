import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { dbNameProblems, parseRequest, requestV1Schema } from '../../src/domain/request.js';

const base = { db_name: 'my-app-db', engine: 'mysql', environment: 'dev' };

const issuesOf = (input: unknown) => {
  const result = parseRequest(input);
  if (result.ok) throw new Error(`expected rejection of ${JSON.stringify(input)}`);
  return result.issues;
};
const pathsOf = (input: unknown) => issuesOf(input).map((i) => i.path);

describe('request v1 schema', () => {
  it('accepts the original system payload and every optional field', () => {
    expect(parseRequest(base)).toEqual({ ok: true, value: base });
    const full = {
      ...base,
      deployment: 'aurora',
      size: 'large',
      engine_version: '8.0.mysql_aurora.3.08.2',
      instances: 5,
      owner: 'team-payments@example.com',
      tags: { 'cost-center': '1234', 'app:tier': 'backend api' },
    };
    expect(parseRequest(full)).toEqual({ ok: true, value: full });
  });

  it('names every missing required field', () => {
    expect(issuesOf({})).toEqual([
      { path: 'db_name', message: 'is required' },
      { path: 'engine', message: 'is required' },
      { path: 'environment', message: 'is required' },
    ]);
  });

  it('rejects unknown fields by name', () => {
    const issues = issuesOf({ ...base, password: 'hunter2', Engine: 'x' });
    expect(issues.map((i) => i.path).sort()).toEqual(['Engine', 'password']);
    expect(issues[0]?.message).toMatch(/is not a known field/);
    // The unknown field's value never appears in the message.
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });

  it.each([null, [], [base], 'text', 42, true])('rejects a body that is not an object: %j', (body) => {
    expect(issuesOf(body)).toEqual([{ path: '(body)', message: 'the request must be a JSON object' }]);
  });

  it.each([
    ['', 'must not be empty'],
    ['a'.repeat(41), 'must be at most 40 characters'],
    ['My-db', 'may contain only lowercase letters, digits and hyphens'],
    ['my_db', 'may contain only lowercase letters, digits and hyphens'],
    ['1db', 'must start with a lowercase letter'],
    ['-db', 'must start with a lowercase letter'],
    ['my--db', 'must not contain two hyphens in a row'],
    ['db-', 'must not end with a hyphen'],
    ['providers', "providers is reserved for the Terraform root's own files; choose another name"],
    ['backend', "backend is reserved for the Terraform root's own files; choose another name"],
  ])('db_name %j: %s', (dbName, message) => {
    expect(issuesOf({ ...base, db_name: dbName })).toContainEqual({ path: 'db_name', message });
  });

  it('accepts db_name at the edges of the rules', () => {
    for (const name of ['a', 'a'.repeat(40), 'a-1', 'db-0-9-z']) expect(dbNameProblems(name)).toEqual([]);
  });

  it('checks enums, types and bounds per field', () => {
    expect(pathsOf({ ...base, engine: 'oracle' })).toEqual(['engine']);
    expect(issuesOf({ ...base, engine: 'oracle' })[0]?.message).toBe(
      'must be one of: mysql, postgres, mariadb',
    );
    expect(pathsOf({ ...base, deployment: 'serverless' })).toEqual(['deployment']);
    expect(pathsOf({ ...base, size: 'huge' })).toEqual(['size']);
    expect(pathsOf({ ...base, environment: 'Prod' })).toEqual(['environment']);
    expect(pathsOf({ ...base, engine_version: 17 })).toEqual(['engine_version']);
    expect(pathsOf({ ...base, instances: 0 })).toEqual(['instances']);
    expect(pathsOf({ ...base, instances: 6 })).toEqual(['instances']);
    expect(pathsOf({ ...base, instances: 1.5 })).toEqual(['instances']);
    expect(pathsOf({ ...base, instances: '2' })).toEqual(['instances']);
    expect(pathsOf({ ...base, owner: '' })).toEqual(['owner']);
    expect(pathsOf({ ...base, owner: 'a'.repeat(129) })).toEqual(['owner']);
  });

  it('limits tags to 20 safe pairs and keeps the service tags for the service', () => {
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    expect(issuesOf({ ...base, tags: many })).toEqual([
      { path: 'tags', message: 'at most 20 tags are allowed' },
    ]);
    expect(pathsOf({ ...base, tags: { 'aws:createdBy': 'me' } })).toEqual(['tags.aws:createdBy']);
    expect(pathsOf({ ...base, tags: { Owner: 'me' } })).toEqual(['tags.Owner']);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform interpolation in a tag value must be refused
    expect(pathsOf({ ...base, tags: { ok: '${var.x}' } })).toEqual(['tags.ok']);
    expect(pathsOf({ ...base, tags: { ok: 1 } })).toEqual(['tags.ok']);
    expect(pathsOf({ ...base, tags: ['a'] })).toEqual(['tags']);
    expect(
      parseRequest({ ...base, tags: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, ''])) })
        .ok,
    ).toBe(true);
  });

  it.each([
    ['engine', 'postgress', 'must be one of: mysql, postgres, mariadb; did you mean postgres?'],
    ['engine', 'MySQL', 'must be one of: mysql, postgres, mariadb; did you mean mysql?'],
    [
      'deployment',
      'aurora-serverles',
      'must be one of: aurora-serverless, aurora, instance; did you mean aurora-serverless?',
    ],
    ['size', 'smal', 'must be one of: small, medium, large, xlarge; did you mean small?'],
    ['size', 'huge', 'must be one of: small, medium, large, xlarge'],
  ])('suggests the nearest allowed value for a typo in %s: %j', (field, value, message) => {
    expect(issuesOf({ ...base, [field]: value })).toEqual([{ path: field, message }]);
  });

  it('refuses a tag key that cannot be stored as an own property, instead of dropping it', () => {
    // JSON.parse makes __proto__ an own property, as a JSON body does; a plain {} literal would not.
    const tags = JSON.parse('{"__proto__":"x","team":"a","aws:x":"y"}');
    expect(issuesOf({ ...base, tags })).toEqual([
      {
        path: 'tags.__proto__',
        message:
          'tag key __proto__ cannot be stored (it names the prototype of an object); choose another key',
      },
      { path: 'tags.aws:x', message: 'tag keys starting with aws: are reserved by AWS' },
    ]);
  });

  it('keeps odd but allowed tag keys exactly as sent', () => {
    const tags = JSON.parse(
      '{"constructor":"a","toString":"b","hasOwnProperty":"c","valueOf":"d","__proto":"e","proto__":"f"}',
    );
    const result = parseRequest({ ...base, tags });
    expect(result.ok && result.value.tags).toStrictEqual(tags);
    expect(result.ok && Object.keys(result.value.tags ?? {})).toEqual(Object.keys(tags));
  });

  it('publishes the tag key rule in the JSON Schema, __proto__ included', () => {
    const schema = z.toJSONSchema(requestV1Schema, { io: 'input', unrepresentable: 'any' }) as unknown as {
      properties: { tags: { propertyNames: { pattern: string } } };
    };
    const pattern = new RegExp(schema.properties.tags.propertyNames.pattern);
    expect(pattern.test('__proto__')).toBe(false);
    for (const key of ['constructor', 'toString', '__proto', 'proto__', '__proto__x', 'cost-center'])
      expect(pattern.test(key)).toBe(true);
  });
});
