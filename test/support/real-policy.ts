/**
 * The packaged policy as a platform team fills it in, edited as text (so its comments and spacing are the
 * team's): real-looking network IDs, prod's role uncommented, and the infrastructure repository's tag.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_POLICY_PATH } from '../../src/runtime/policy-file.js';

export const REAL_REPOSITORY = 'github.com/acme/infra';

export function realPolicyText(): string {
  return readFileSync(DEFAULT_POLICY_PATH, 'utf8')
    .replace(/\b(vpc|subnet|sg)-0{12}(\d{5})\b/g, (_, kind: string, n: string) => `${kind}-0a1b2c3d4e5f${n}`)
    .replace(/^(\s+)# role_arn: (arn:aws:iam::\d{12}:role\/\S+)$/m, '$1role_arn: $2')
    .replace('github.com/REPLACE-ME/rds-provisioner', REAL_REPOSITORY);
}
