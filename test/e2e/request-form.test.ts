/** The API the web page is built on: the form's schema and policy, and the dry run, over real HTTP. */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { formOptions } from '../../src/domain/form-options.js';
import { requestV1Schema } from '../../src/domain/request.js';
import { resolveRequest } from '../../src/domain/resolve.js';
import { renderTerraform } from '../../src/render/terraform.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';
import { branches as branchesOf } from '../support/git-checks.js';
import { serverPerSuite } from '../support/server.js';

const { policy } = loadPolicyFile();

describe('GET /request-form and POST /provision?dry_run=true', () => {
  const suite = serverPerSuite();

  const branches = () => branchesOf(suite.server.repo);

  it("returns the request's JSON Schema and what each environment allows, behind the token", async () => {
    const form = await suite.call('GET', '/request-form');
    expect(form.status).toBe(200);
    expect(form.json.schema).toEqual(
      JSON.parse(JSON.stringify(z.toJSONSchema(requestV1Schema, { io: 'input', unrepresentable: 'any' }))),
    );
    expect(form.json.schema.required).toEqual(['db_name', 'engine', 'environment']);
    expect(form.json).toMatchObject(JSON.parse(JSON.stringify(formOptions(policy))));
    expect(form.json.environments.prod.owner_required).toBe(true);

    const anonymous = await fetch(`${suite.server.url}/request-form`);
    expect(anonymous.status).toBe(401);
  });

  it('previews the exact file a request would write, and records nothing', async () => {
    const input = { db_name: 'preview-db', engine: 'postgres', environment: 'staging', size: 'large' };
    const before = branches();
    const preview = await suite.call('POST', '/provision?dry_run=true', input);
    expect(preview.status).toBe(200);
    const resolved = resolveRequest(input, policy, { requestId: 'dry-run' });
    if (!resolved.ok) throw new Error('unreachable');
    expect(preview.json).toMatchObject({
      dry_run: true,
      file_path: 'terraform/live/staging/preview-db/main.tf',
      branch: 'feature/provision-rds-preview-db',
      base: 'main',
      content: renderTerraform(resolved.value.spec),
      pull_request: { title: 'Provision postgres database preview-db (staging)' },
    });
    expect((await suite.call('GET', '/requests')).json.requests).toEqual([]);
    expect(branches()).toEqual(before);

    // The same request for real is accepted afterwards: the preview held nothing.
    const accepted = await suite.call('POST', '/provision', input);
    expect(accepted.status).toBe(202);
    // And now a preview of it is a conflict naming the request in flight.
    const again = await suite.call('POST', '/provision?dry_run=true', input);
    expect(again.status).toBe(409);
    expect(again.json.request_id).toBe(accepted.json.request_id);
  });

  it('refuses what POST /provision refuses, naming the field', async () => {
    const invalid = await suite.call('POST', '/provision?dry_run=true', {
      db_name: 'ok-name',
      engine: 'mysql',
      environment: 'prod',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json.issues).toEqual([expect.objectContaining({ path: 'owner' })]);
    const badFlag = await suite.call('POST', '/provision?dry_run=yes', {
      db_name: 'x',
      engine: 'mysql',
      environment: 'dev',
    });
    expect(badFlag.status).toBe(400);
    expect(badFlag.json.issues).toEqual([expect.objectContaining({ path: 'dry_run' })]);
    expect(
      (await suite.call('GET', '/requests')).json.requests.map(
        (r: { request: { db_name: string } }) => r.request.db_name,
      ),
    ).toEqual(['preview-db']);
  });
});
