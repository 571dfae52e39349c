/**
 * The two layouts from a test's side: where the packaged policy (per-database) puts a database's file,
 * and the packaged policy with either layout. Paths come from src/domain/layout.ts; tests that prove the
 * layout itself spell the expected path out instead.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { type LayoutKind, locate } from '../../src/domain/layout.js';
import { type LoadedPolicy, type Policy, parsePolicy } from '../../src/domain/policy.js';
import { DEFAULT_POLICY_PATH, loadPolicyFile } from '../../src/runtime/policy-file.js';
import { tempDir } from './server.js';

/** The packaged config/policy.yaml, as the server loads it by default. */
export const packagedPolicy: LoadedPolicy = loadPolicyFile(DEFAULT_POLICY_PATH);

/** The file a database gets under a policy (the packaged one by default). */
export function fileOf(dbName: string, environment: string, policy: LoadedPolicy = packagedPolicy): string {
  return locate(policy.policy.git, dbName, environment).file;
}

export interface LayoutPolicyOptions {
  /** Per environment, the role each per-database root assumes. */
  roleArn?: Record<string, string>;
}

/**
 * The packaged policy's text with a layout. `single-root` is the original system's: no file, state key or
 * backend settings (their single-root defaults apply), no `default_tags`, and no `aws` or `network` per environment, so the
 * generated files read terraform/live's `networks` variable as they always did.
 */
export function policyTextWithLayout(layout: LayoutKind, options: LayoutPolicyOptions = {}): string {
  const doc = parseDocument(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
  const environments = Object.keys(packagedPolicy.policy.environments);
  if (layout === 'single-root') {
    doc.setIn(['git', 'layout'], 'single-root');
    for (const key of ['file', 'state_key', 'backend_config']) doc.deleteIn(['git', key]);
    // The single root's default tags are in its providers.tf.
    doc.deleteIn(['default_tags']);
    for (const env of environments) {
      doc.deleteIn(['environments', env, 'aws']);
      doc.deleteIn(['environments', env, 'network']);
    }
  }
  for (const [env, role] of Object.entries(options.roleArn ?? {}))
    doc.setIn(['environments', env, 'aws', 'role_arn'], role);
  return doc.toString();
}

/** The packaged policy with a layout, parsed (throws when it is not valid). */
export function policyWithLayout(layout: LayoutKind, options: LayoutPolicyOptions = {}): Policy {
  const parsed = parsePolicy(policyTextWithLayout(layout, options), `packaged policy, ${layout}`);
  if (!parsed.ok) throw new Error(`policy with layout ${layout}: ${JSON.stringify(parsed.issues)}`);
  return parsed.value.policy;
}

/** Writes the packaged policy with a layout to a file, for `serve --config`; returns its path. */
export function writePolicyWithLayout(layout: LayoutKind, dir: string = tempDir('policy')): string {
  const path = join(dir, `policy-${layout}.yaml`);
  writeFileSync(path, policyTextWithLayout(layout));
  return path;
}

/** The single-root policy written to a file: its path (for `serve --config`) and the policy as loaded. */
export function writeSingleRootPolicy(dir: string = tempDir('policy')): {
  path: string;
  policy: LoadedPolicy;
} {
  const path = writePolicyWithLayout('single-root', dir);
  return { path, policy: loadPolicyFile(path) };
}
