import { describe, expect, it } from 'vitest';
import { formOptions } from '../../src/domain/form-options.js';
import { parsePolicy } from '../../src/domain/policy.js';
import { ENGINES, type RequestV1 } from '../../src/domain/request.js';
import { resolve } from '../../src/domain/resolve.js';
import { loadPolicyFile } from '../../src/runtime/policy-file.js';

const { policy } = loadPolicyFile();
const options = formOptions(policy);

describe('formOptions', () => {
  it('offers every environment of the policy, dev first by default', () => {
    expect(Object.keys(options.environments)).toEqual(Object.keys(policy.environments));
    expect(options.default_environment).toBe('dev');
  });

  it('offers only what resolve() accepts: every combination it lists resolves without a violation', () => {
    let combinations = 0;
    for (const [environment, env] of Object.entries(options.environments)) {
      for (const [engine, engineOptions] of Object.entries(env.engines)) {
        for (const deployment of engineOptions.deployments) {
          const versions = engineOptions.engine_versions[deployment];
          expect(versions?.allowed).toContain(versions?.default);
          for (const engine_version of versions?.allowed ?? []) {
            for (const size of env.sizes.allowed) {
              const instances = deployment === 'instance' ? 1 : env.instances.max;
              const request = {
                db_name: 'form-check',
                engine,
                environment,
                deployment,
                engine_version,
                size,
                instances,
                ...(env.owner_required ? { owner: 'team-a' } : {}),
              } as RequestV1;
              const resolved = resolve(request, policy, { requestId: 'dry-run' });
              expect(resolved.ok ? [] : resolved.issues, JSON.stringify(request)).toEqual([]);
              combinations++;
            }
          }
        }
      }
    }
    expect(combinations).toBeGreaterThan(50);
  });

  it('takes the defaults resolve() applies when a field is left out', () => {
    for (const [environment, env] of Object.entries(options.environments)) {
      for (const [engine, engineOptions] of Object.entries(env.engines)) {
        const request = {
          db_name: 'form-check',
          engine,
          environment,
          ...(env.owner_required ? { owner: 'team-a' } : {}),
        } as RequestV1;
        const resolved = resolve(request, policy, { requestId: 'dry-run' });
        if (!resolved.ok) throw new Error(JSON.stringify(resolved.issues));
        expect(resolved.value.deployment).toBe(engineOptions.default_deployment);
        expect(resolved.value.engineVersion).toBe(
          engineOptions.engine_versions[engineOptions.default_deployment]?.default,
        );
      }
    }
  });

  it('offers mariadb only as an instance, and leaves out engines an environment does not allow', () => {
    expect(options.environments.dev?.engines.mariadb?.deployments).toEqual(['instance']);
    const narrowed = parsePolicy(
      JSON.stringify({
        ...policy,
        environments: { ...policy.environments, dev: { ...policy.environments.dev, engines: ['postgres'] } },
      }),
      'test',
    );
    if (!narrowed.ok) throw new Error(JSON.stringify(narrowed.issues));
    expect(Object.keys(formOptions(narrowed.value.policy).environments.dev?.engines ?? {})).toEqual([
      'postgres',
    ]);
    expect(ENGINES.every((e) => e in (options.environments.dev?.engines ?? {}))).toBe(true);
  });
});
