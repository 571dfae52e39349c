/**
 * The checked-in `terraform show -json` documents of test/fixtures/terraform-json/ (made by
 * ./terraform-json-fixtures.ts; see that folder's README.md), for tests that need no Terraform.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export const FIXTURES = join(ROOT, 'test/fixtures/terraform-json');

export const DEPLOYMENT_FIXTURES = ['aurora', 'aurora-serverless', 'instance'] as const;
export type DeploymentFixture = (typeof DEPLOYMENT_FIXTURES)[number];

/** Each deployment's documents; the aurora one also has `upgrade-plan` (a major version upgrade). */
export const PLAN_FIXTURES = ['create-plan', 'change-plan', 'drift-plan', 'destroy-plan'] as const;
export type DocumentName = (typeof PLAN_FIXTURES)[number] | 'state' | 'upgrade-plan';

/** The database each deployment's root holds. */
export const DATABASE_OF: Record<DeploymentFixture, string> = {
  aurora: 'orders',
  'aurora-serverless': 'events',
  instance: 'cms',
};

/** The instance root's own secret (a sensitive variable, a secret version, a sensitive output). */
export const SENSITIVE_LITERAL = 'fixture-app-password-Zq8vW2';

/** A fresh copy of one document, parsed. */
export function terraformDocument(
  deployment: DeploymentFixture,
  name: DocumentName,
): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, deployment, `${name}.json`), 'utf8'));
}

/** A hand-written resource change: its address, actions, and values and marks where given. */
export interface ChangeSketch {
  address: string;
  actions?: string[];
  before?: unknown;
  after?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
}

/** A resource change as Terraform writes one: module, mode, type and name read from the address. */
function resourceChange({
  address,
  actions = ['update'],
  before = null,
  after = null,
  ...marks
}: ChangeSketch) {
  const [, module, rest = ''] = /^((?:module\.[^.[]+(?:\[[^\]]*\])?\.)*)(.*)$/.exec(address) ?? [];
  const mode = rest.startsWith('data.') ? 'data' : 'managed';
  const [type, name = ''] = rest.replace(/^data\./, '').split('.');
  return {
    address,
    ...(module ? { module_address: module.slice(0, -1) } : {}),
    mode,
    type,
    name: name.replace(/\[.*$/, ''),
    change: { actions, before, after, ...marks },
  };
}

/** A plan document (format 1.2) of hand-written resource changes and drift. */
export function planDocument(changes: ChangeSketch[], drift: ChangeSketch[] = []): Record<string, unknown> {
  return {
    format_version: '1.2',
    terraform_version: '1.11.4',
    resource_changes: changes.map(resourceChange),
    resource_drift: drift.map(resourceChange),
  };
}
