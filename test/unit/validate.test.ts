import { describe, expect, it } from 'vitest';
import { checkRequest } from '../../src/domain/validate.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';

const { policy } = loadPolicyFile();

const issuesOf = (input: unknown) => {
  const result = checkRequest(input, policy);
  if (result.ok) throw new Error(`expected rejection of ${JSON.stringify(input)}`);
  return result.issues;
};

const NOT_CONFIGURED = (name: string) => ({
  path: 'environment',
  message: `environment ${name} is not configured; choose one of: dev, staging, prod`,
});

describe('checkRequest: schema and policy in one answer', () => {
  it('accepts a valid request as the schema parsed it', () => {
    const input = { db_name: 'orders', engine: 'postgres', environment: 'prod', owner: 'team-a' };
    expect(checkRequest(input, policy)).toEqual({ ok: true, value: input });
  });

  it('lists the name problems and the owner prod requires together', () => {
    expect(issuesOf({ db_name: 'Billing_DB', engine: 'postgres', environment: 'prod' })).toEqual([
      { path: 'db_name', message: 'may contain only lowercase letters, digits and hyphens' },
      { path: 'db_name', message: 'must start with a lowercase letter' },
      { path: 'owner', message: 'prod requires owner' },
    ]);
  });

  it('runs every policy rule whose inputs passed the schema, in field order', () => {
    expect(
      issuesOf({
        owner: '',
        size: 'xlarge',
        instances: 1,
        engine: 'postgress',
        environment: 'prod',
        db_name: 'billing',
        colour: 'blue',
      }),
    ).toEqual([
      { path: 'engine', message: 'must be one of: mysql, postgres, mariadb; did you mean postgres?' },
      // prod allows xlarge; its instance bound needs the deployment, which needs the engine: skipped.
      {
        path: 'owner',
        message: 'must be a team or person: 1-128 characters of letters, digits, spaces and _ . : / = + @ -',
      },
      {
        path: 'colour',
        message:
          'is not a known field; allowed fields are db_name, engine, environment, deployment, size, engine_version, instances, owner, tags',
      },
    ]);
    expect(
      issuesOf({ db_name: 'a', engine: 'mysql', environment: 'dev', size: 'xlarge', instances: 0, tags: 1 }),
    ).toEqual([
      { path: 'size', message: 'size xlarge is not allowed in dev; allowed: small, medium' },
      { path: 'instances', message: 'must be at least 1' },
      { path: 'tags', message: 'tags must be an object of string keys and string values' },
    ]);
  });

  it('judges an explicit deployment without the engine, and skips what needs the engine', () => {
    expect(
      issuesOf({
        db_name: 'a',
        engine: 'oracle',
        environment: 'dev',
        deployment: 'instance',
        engine_version: '1.0',
        instances: 2,
      }),
    ).toEqual([
      { path: 'engine', message: 'must be one of: mysql, postgres, mariadb' },
      {
        path: 'instances',
        message:
          'deployment instance runs a single database instance; choose aurora or aurora-serverless for readers',
      },
    ]);
  });

  it('reports no policy issue when the environment itself is missing or invalid', () => {
    expect(issuesOf({ db_name: 'a', engine: 'mariadb', deployment: 'aurora' })).toEqual([
      { path: 'environment', message: 'is required' },
    ]);
    expect(issuesOf({ db_name: 'a', engine: 'mysql', environment: 'Prod' })).toEqual([
      { path: 'environment', message: 'must be a lowercase name such as dev, staging or prod' },
    ]);
  });

  const LOWERCASE = { path: 'environment', message: 'must be a lowercase name such as dev, staging or prod' };
  it.each([
    ['constructor', NOT_CONFIGURED('constructor')],
    ['toString', LOWERCASE],
    ['__proto__', LOWERCASE],
    ['hasOwnProperty', LOWERCASE],
    ['valueOf', LOWERCASE],
  ])('refuses environment %j as a field problem, never reading the object prototype', (name, issue) => {
    expect(issuesOf({ db_name: 'a', engine: 'mysql', environment: name })).toEqual([issue]);
  });

  it('suggests a configured environment close to a typo', () => {
    expect(issuesOf({ db_name: 'a', engine: 'mysql', environment: 'prd', owner: 'x' })).toEqual([
      {
        path: 'environment',
        message: 'environment prd is not configured; choose one of: dev, staging, prod; did you mean prod?',
      },
    ]);
    expect(issuesOf({ db_name: 'a', engine: 'mysql', environment: 'qa' })).toEqual([NOT_CONFIGURED('qa')]);
  });

  it('reports a __proto__ tag key with the policy problems', () => {
    const input = JSON.parse(
      '{"db_name":"a","engine":"mysql","environment":"prod","tags":{"__proto__":"x"}}',
    );
    expect(issuesOf(input)).toEqual([
      { path: 'owner', message: 'prod requires owner' },
      {
        path: 'tags.__proto__',
        message:
          'tag key __proto__ cannot be stored (it names the prototype of an object); choose another key',
      },
    ]);
  });

  it('answers a body that is not an object with that alone', () => {
    expect(issuesOf([1])).toEqual([{ path: '(body)', message: 'the request must be a JSON object' }]);
  });
});
