/**
 * Bad requests over real HTTP: each gets one 400 naming every bad field, schema and policy alike, and
 * nothing is recorded; odd but allowed names arrive in the stored request and the generated file as sent.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { branches as branchesOf, fileAt } from '../support/git-checks.js';
import { serverPerSuite, waitFor } from '../support/server.js';

describe('POST /provision with bad input', () => {
  const suite = serverPerSuite();

  const branches = () => branchesOf(suite.server.repo);

  const PROTO_TAG = {
    path: 'tags.__proto__',
    message: 'tag key __proto__ cannot be stored (it names the prototype of an object); choose another key',
  };

  it.each<[string, string, { path: string; message: string }[]]>([
    [
      'an environment that is only an object prototype property',
      '{"db_name":"a","engine":"mysql","environment":"constructor"}',
      [
        {
          path: 'environment',
          message: 'environment constructor is not configured; choose one of: dev, staging, prod',
        },
      ],
    ],
    [
      'toString as the environment',
      '{"db_name":"a","engine":"mysql","environment":"toString"}',
      [{ path: 'environment', message: 'must be a lowercase name such as dev, staging or prod' }],
    ],
    [
      'a __proto__ tag key',
      '{"db_name":"a","engine":"mysql","environment":"dev","tags":{"__proto__":"x"}}',
      [PROTO_TAG],
    ],
    [
      'a bad name in prod without an owner',
      '{"db_name":"Billing_DB","engine":"postgres","environment":"prod"}',
      [
        { path: 'db_name', message: 'may contain only lowercase letters, digits and hyphens' },
        { path: 'db_name', message: 'must start with a lowercase letter' },
        { path: 'owner', message: 'prod requires owner' },
      ],
    ],
    [
      'an engine typo',
      '{"db_name":"a","engine":"postgress","environment":"dev"}',
      [{ path: 'engine', message: 'must be one of: mysql, postgres, mariadb; did you mean postgres?' }],
    ],
    [
      'an environment typo',
      '{"db_name":"a","engine":"postgres","environment":"prd"}',
      [
        {
          path: 'environment',
          message: 'environment prd is not configured; choose one of: dev, staging, prod; did you mean prod?',
        },
      ],
    ],
  ])('%s: one 400 listing every problem, nothing recorded', async (_label, body, issues) => {
    const before = branches();
    for (const path of ['/provision', '/provision?dry_run=true']) {
      const answer = await suite.call('POST', path, body);
      expect({ status: answer.status, json: answer.json }).toEqual({
        status: 400,
        json: { error: 'invalid_request', issues },
      });
    }
    expect((await suite.call('GET', '/requests')).json.requests).toEqual([]);
    expect(branches()).toEqual(before);
    expect(suite.server.output.join('\n')).not.toContain('unhandled error');
  });

  it('publishes the tag key rule, __proto__ excluded, in /request-form and /openapi.json', async () => {
    const form = (await suite.call('GET', '/request-form')).json.schema.properties.tags;
    const openapi = (await suite.call('GET', '/openapi.json')).json.paths['/provision'].post.requestBody
      .content['application/json'].schema.properties.tags;
    for (const tags of [form, openapi]) {
      const key = new RegExp(tags.propertyNames.pattern);
      expect(key.test('__proto__')).toBe(false);
      for (const allowed of ['constructor', 'toString', '__proto', 'cost-center'])
        expect(key.test(allowed)).toBe(true);
    }
  });

  it('answers `rds-provisioner request` with every problem, one line each, exit 2', async () => {
    const before = branches();
    const run = await runCli([
      'request',
      ...['--url', suite.server.url, '--token', suite.server.token],
      ...[
        '--db-name',
        'Billing_DB',
        '--engine',
        'postgress',
        '--environment',
        'prod',
        '--tag',
        '__proto__=x',
      ],
    ]);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: [
        'db_name: may contain only lowercase letters, digits and hyphens',
        'db_name: must start with a lowercase letter',
        'engine: must be one of: mysql, postgres, mariadb; did you mean postgres?',
        'owner: prod requires owner',
        `${PROTO_TAG.path}: ${PROTO_TAG.message}`,
        '',
      ].join('\n'),
    });
    expect((await suite.call('GET', '/requests')).json.requests).toEqual([]);
    expect(branches()).toEqual(before);
  });

  it('stores and generates odd but allowed tag keys exactly as sent', async () => {
    const tags = { constructor: 'a', toString: 'b', hasOwnProperty: 'c', valueOf: 'd', __proto: 'e' };
    const body = { db_name: 'odd-tags', engine: 'mysql', environment: 'dev', tags };
    const preview = await suite.call('POST', '/provision?dry_run=true', body);
    expect(preview.status).toBe(200);
    const accepted = await suite.call('POST', '/provision', body);
    expect(accepted.status).toBe(202);
    const stored = await suite.call('GET', `/requests/${accepted.json.request_id}`);
    expect(stored.json.request.tags).toStrictEqual(tags);

    await waitFor(
      () => suite.call('GET', `/requests/${accepted.json.request_id}`),
      (r) => r.json.status === 'pr_open',
    );
    expect(preview.json.file_path).toBe('terraform/live/dev/odd-tags/main.tf');
    const file = fileAt(suite.server.repo, 'feature/provision-rds-odd-tags', preview.json.file_path);
    for (const [key, value] of Object.entries(tags)) {
      expect(file).toMatch(new RegExp(`^\\s+"?${key}"?\\s+= "${value}"$`, 'm'));
      expect(preview.json.content).toMatch(new RegExp(`^\\s+"?${key}"?\\s+= "${value}"$`, 'm'));
    }
  });
});
