import type { Command } from 'commander';
import { loadPolicyFile } from '../runtime/policy-file.js';

/** `validate-config FILE`: the same check start-up runs, for a platform team's CI. */
export function registerValidateConfig(program: Command): void {
  program
    .command('validate-config')
    .description('check a policy file; print each bad key and exit 2 when it is invalid')
    .argument('<file>', 'policy file (YAML or JSON)')
    .action((file: string) => {
      const { policy } = loadPolicyFile(file);
      const envs = Object.keys(policy.environments);
      process.stdout.write(`${file}: valid (${envs.length} environments: ${envs.join(', ')})\n`);
    });
}
