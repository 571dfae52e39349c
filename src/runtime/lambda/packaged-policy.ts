// The bundles carry the policy that was reviewed with the code. scripts/build-lambda.mjs runs this
// module at build time and bundles its result as JSON in its place (no YAML parser in the functions,
// no parse at start); tests import it as written, the YAML as text (vitest.config.ts).
import policyText from '../../../config/policy.yaml';
import { type LoadedPolicy, parsePolicy } from '../../domain/policy.js';
import { PolicyFileError } from '../policy-file.js';

/** config/policy.yaml as packaged in this bundle, validated. */
export function packagedPolicy(): LoadedPolicy {
  const parsed = parsePolicy(policyText, 'config/policy.yaml (packaged)');
  if (!parsed.ok) throw new PolicyFileError('config/policy.yaml', parsed.issues);
  return parsed.value;
}
