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
import { REAL_REPOSITORY, realPolicyText } from '../support/real-policy.js';

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

describe("resolveInitRepo: the policy it writes is the team's text", () => {
  const real = realPolicyText();
  const noTag = { ...base, repository: undefined };

  it('flags that change nothing: the written policy is the given text, byte for byte', () => {
    const flags: InitRepoFlags = {
      ...noTag,
      region: ['eu-west-1'],
      vpc: ['dev=vpc-0a1b2c3d4e5f00001'],
      subnets: ['prod=subnet-0a1b2c3d4e5f00031,subnet-0a1b2c3d4e5f00032,subnet-0a1b2c3d4e5f00033'],
    };
    for (const given of [noTag, flags, { ...noTag, repository: REAL_REPOSITORY }]) {
      const result = resolveInitRepo(load(real), real, given, { cliRef: 'v0.1.0' });
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      expect(result.value.policyText).toBe(real);
    }
  });

  it('flags that change values: only those values differ, every comment and the spacing kept', () => {
    const result = resolveInitRepo(
      load(real),
      real,
      {
        ...base,
        region: ['prod=eu-central-1'],
        vpc: ['dev=vpc-0fffffffffffffff1'],
        securityGroups: ['staging=sg-0fffffffffffffff2'],
        repository: 'github.com/acme/other',
      },
      { cliRef: 'v0.1.0' },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const prod = real.indexOf('\n  prod:\n');
    const expected =
      real
        .slice(0, prod)
        .replace('vpc_id: vpc-0a1b2c3d4e5f00001', 'vpc_id: vpc-0fffffffffffffff1')
        .replace('[sg-0a1b2c3d4e5f00021]', '[sg-0fffffffffffffff2]') +
      real
        .slice(prod)
        .replace('      region: eu-west-1\n', '      region: eu-central-1\n')
        .replace(`repository: ${REAL_REPOSITORY}`, 'repository: github.com/acme/other');
    expect(expected).not.toBe(real);
    expect(result.value.policyText).toBe(expected);
  });

  it('a policy in another style (4-space indent, padded lists): the changed line alone is new', () => {
    const styled = parseDocument(real).toString({ indent: 4, flowCollectionPadding: true, lineWidth: 0 });
    expect(styled).toContain('\n        engines: [ mysql, postgres, mariadb ]\n');
    const result = resolveInitRepo(
      load(styled),
      styled,
      { ...base, region: ['prod=eu-central-1'], repository: REAL_REPOSITORY },
      { cliRef: 'v0.1.0' },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const prod = styled.indexOf('\n    prod:\n');
    expect(result.value.policyText).toBe(
      styled.slice(0, prod) +
        styled.slice(prod).replace('            region: eu-west-1\n', '            region: eu-central-1\n'),
    );
  });

  it("over the packaged placeholders, the flags' values replace them and every comment stays", () => {
    const flags: InitRepoFlags = {
      ...base,
      region: ['eu-central-1'],
      roleArn: ['prod=arn:aws:iam::123456789012:role/rds-provisioner-terraform'],
      vpc: ['dev=vpc-0a1b2c3d4e5f60001', 'staging=vpc-0a1b2c3d4e5f60002', 'prod=vpc-0a1b2c3d4e5f60003'],
      subnets: [
        'dev=subnet-0a1b2c3d4e5f60011,subnet-0a1b2c3d4e5f60012',
        'staging=subnet-0a1b2c3d4e5f60021,subnet-0a1b2c3d4e5f60022',
        'prod=subnet-0a1b2c3d4e5f60031,subnet-0a1b2c3d4e5f60032',
      ],
      cidrBlocks: ['staging=10.20.0.0/16'],
    };
    const result = resolveInitRepo(load(packaged), packaged, flags, { cliRef: 'v0.1.0' });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const written = result.value.policyText;
    const comments = (text: string) => text.split('\n').filter((line) => /^\s*#/.test(line));
    expect(comments(written)).toEqual(comments(packaged));
    // The lines no flag touched are the packaged ones, spacing and all.
    expect(written).toContain(
      'deployments: { default: aurora, allowed: [aurora, aurora-serverless, instance] }',
    );
    const policy = load(written);
    expect(policy.environments.staging?.network).toEqual({
      vpc_id: 'vpc-0a1b2c3d4e5f60002',
      subnet_ids: ['subnet-0a1b2c3d4e5f60021', 'subnet-0a1b2c3d4e5f60022'],
      allowed_security_group_ids: [],
      allowed_cidr_blocks: ['10.20.0.0/16'],
    });
    expect(policy.environments.prod?.aws).toEqual({
      region: 'eu-central-1',
      role_arn: 'arn:aws:iam::123456789012:role/rds-provisioner-terraform',
    });
    expect(written).toContain('      subnet_ids: [subnet-0a1b2c3d4e5f60031, subnet-0a1b2c3d4e5f60032]\n');
  });
});

describe('resolveInitRepo: the repository tag', () => {
  const real = realPolicyText();
  const noTag = { ...base, repository: undefined };

  it("a default (--github's github.com/OWNER/REPO) never replaces a real tag in the policy", () => {
    const result = resolveInitRepo(load(real), real, noTag, {
      cliRef: 'v0.1.0',
      repository: 'github.com/acme/elsewhere',
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.repository).toBe(REAL_REPOSITORY);
    expect(load(result.value.policyText).default_tags.repository).toBe(REAL_REPOSITORY);
  });

  it("the default applies where the policy's tag is the placeholder", () => {
    const text = realPolicyText().replace(REAL_REPOSITORY, 'github.com/REPLACE-ME/rds-provisioner');
    const result = resolveInitRepo(load(text), text, noTag, {
      cliRef: 'v0.1.0',
      repository: 'github.com/acme/elsewhere',
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.repository).toBe('github.com/acme/elsewhere');
    expect(result.value.policyText).toBe(text.replace('REPLACE-ME/rds-provisioner', 'acme/elsewhere'));
  });

  it('an explicit --repository wins over the policy, as every flag does, and the written policy says so', () => {
    const result = resolveInitRepo(
      load(real),
      real,
      { ...base, repository: 'github.com/acme/other' },
      { cliRef: 'v0.1.0', repository: 'github.com/acme/elsewhere' },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.repository).toBe('github.com/acme/other');
    expect(result.value.policyText).toBe(real.replace(REAL_REPOSITORY, 'github.com/acme/other'));
  });
});
