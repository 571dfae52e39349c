import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeIssues, type LoadedPolicy, parsePolicy } from '../domain/policy.js';
import type { FieldIssue } from '../domain/request.js';

/** The policy shipped with the package; `config/policy.yaml` at the package root. */
export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../../config/policy.yaml', import.meta.url));

export class PolicyFileError extends Error {
  constructor(
    readonly path: string,
    readonly issues: FieldIssue[],
  ) {
    super(`invalid policy ${path}:\n${describeIssues(issues)}`);
    this.name = 'PolicyFileError';
  }
}

/** Reads and validates a policy file; throws PolicyFileError naming each bad key. */
export function loadPolicyFile(
  path: string = process.env.RDS_PROVISIONER_CONFIG || DEFAULT_POLICY_PATH,
): LoadedPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new PolicyFileError(path, [{ path: '(file)', message: reason }]);
  }
  const result = parsePolicy(text, path === DEFAULT_POLICY_PATH ? 'config/policy.yaml (default)' : path);
  if (!result.ok) throw new PolicyFileError(path, result.issues);
  return result.value;
}
