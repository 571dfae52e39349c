/**
 * init-repo's settings (src/domain/init-repo.ts), pure: which flags are still needed (the packaged
 * policy's placeholders count as absent, real values do not), and each problem named by its flag.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { type InitRepoFlags, resolveInitRepo } from '../../src/domain/init-repo.js';
import { parsePolicy } from '../../src/domain/policy.js';
import { DEFAULT_POLICY_PATH } from '../../src/runtime/policy-file.js';
import { policyTextWithLayout } from '../support/layouts.js';

const packaged = readFileSync(DEFAULT_POLICY_PATH, 'utf8');
const load = (text: string) => {
  const parsed = parsePolicy(text, 'test');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value.policy;
};
const none: InitRepoFlags = {
  region: [],
  roleArn: [],
  vpc: [],
  subnets: [],
  securityGroups: [],
  cidrBlocks: [],
};
const base: InitRepoFlags = {
  ...none,
  pipeline: 'circleci',
  stateBucket: 'acme-terraform-state',
  stateRegion: 'eu-west-1',
  repository: 'github.com/acme/infra',
  cliSource: 'https://github.com/acme/rds-provisioner.git',
};

/** The packaged policy with every environment's network made real. */
function realPolicy(): string {
  const doc = parseDocument(packaged);
  for (const [n, env] of ['dev', 'staging', 'prod'].entries())
    doc.setIn(['environments', env, 'network'], {
      vpc_id: `vpc-0a1b2c3d4e5f6000${n}`,
      subnet_ids: [`subnet-0a1b2c3d4e5f600${n}1`, `subnet-0a1b2c3d4e5f600${n}2`],
    });
  return doc.toString();
}

describe('resolveInitRepo', () => {
  it('with the packaged policy and no flags, lists every flag still needed, placeholders counting as absent', () => {
    const result = resolveInitRepo(load(packaged), packaged, none, { cliRef: 'v0.1.0' });
    expect(result.ok).toBe(false);
    expect(result.missing).toEqual([
      '--pipeline',
      '--state-bucket',
      '--state-region',
      '--vpc dev',
      '--subnets dev',
      '--region dev',
      '--vpc staging',
      '--subnets staging',
      '--region staging',
      '--vpc prod',
      '--subnets prod',
      '--region prod',
      '--repository',
      '--cli-source',
    ]);
  });

  it("takes a policy's real networks and regions as they are: no flag needed for them", () => {
    const text = realPolicy();
    const result = resolveInitRepo(load(text), text, base, { cliRef: 'v0.1.0' });
    expect(result.ok && result.value.environments.prod).toEqual({
      region: 'eu-west-1',
      network: {
        vpc_id: 'vpc-0a1b2c3d4e5f60002',
        subnet_ids: ['subnet-0a1b2c3d4e5f60021', 'subnet-0a1b2c3d4e5f60022'],
        allowed_security_group_ids: [],
        allowed_cidr_blocks: [],
      },
    });
  });

  it('a flag overrides the policy, and the written policy says so (per-database)', () => {
    const text = realPolicy();
    const result = resolveInitRepo(
      load(text),
      text,
      { ...base, region: ['prod=eu-central-1'], vpc: ['dev=vpc-0fffffffffffffff1'] },
      { cliRef: 'v0.1.0' },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const written = load(result.value.policyText);
    expect(written.environments.prod?.aws?.region).toBe('eu-central-1');
    expect(written.environments.dev?.network?.vpc_id).toBe('vpc-0fffffffffffffff1');
    expect(written.default_tags.repository).toBe('github.com/acme/infra');
  });

  it('single-root: one --region, and the networks checked by the policy rules though they go to tfvars', () => {
    const text = policyTextWithLayout('single-root');
    const flags: InitRepoFlags = {
      ...base,
      region: ['eu-west-1'],
      vpc: ['dev=vpc-0a1b2c3d4e5f60001', 'staging=vpc-0a1b2c3d4e5f60002', 'prod=vpc-0a1b2c3d4e5f60003'],
      subnets: [
        'dev=subnet-0a1b2c3d4e5f60011',
        'staging=s,t',
        'prod=subnet-0a1b2c3d4e5f60031,subnet-0a1b2c3d4e5f60032',
      ],
    };
    const result = resolveInitRepo(load(text), text, flags, { cliRef: 'v0.1.0' });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues).toEqual([
      {
        path: '--subnets dev',
        message: 'an RDS subnet group needs at least two subnets in different availability zones',
      },
      { path: '--subnets staging', message: 'must be a subnet id such as subnet-0123456789abcdef0' },
    ]);
  });
});
