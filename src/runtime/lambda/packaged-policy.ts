// The bundles carry the policy as text (esbuild's `.yaml=text` loader), so a deploy ships the policy
// that was reviewed with the code.
import policyText from '../../../config/policy.yaml';
import { type LoadedPolicy, parsePolicy } from '../../domain/policy.js';
import { PolicyFileError } from '../policy-file.js';

/** config/policy.yaml as packaged in this bundle, validated. */
export function packagedPolicy(): LoadedPolicy {
  const parsed = parsePolicy(policyText, 'config/policy.yaml (packaged)');
  if (!parsed.ok) throw new PolicyFileError('config/policy.yaml', parsed.issues);
  return parsed.value;
}
