import type { Command } from 'commander';
import { changedRootsBetween, isRepository, resolveCommit } from '../adapters/local/git-changes.js';
import type { ChangedRoots, Root } from '../domain/changed-roots.js';
import { type LayoutSettings, locate } from '../domain/layout.js';
import { loadPolicyFile } from '../runtime/policy-file.js';
import { CliError, EXIT } from './exit-codes.js';

interface Options {
  config: string;
  base: string;
  head: string;
  repo: string;
  prodEnvironments: string;
}

/**
 * `changed-roots`: the Terraform roots a change touches, as JSON for a CI matrix. The pipelines run it;
 * it reads the layout from the policy, so they never spell a path themselves.
 */
export function registerChangedRoots(program: Command): void {
  program
    .command('changed-roots')
    .description('print, as JSON, the Terraform roots to plan and to destroy between two commits')
    .option('--config <file>', 'policy file (its git section gives the layout)', 'config/policy.yaml')
    .requiredOption(
      '--base <revision>',
      'the base: the target branch of a pull request, or the commit before a push',
    )
    .option('--head <revision>', 'the head', 'HEAD')
    .option('--repo <dir>', 'the working copy', '.')
    .option(
      '--prod-environments <names>',
      'environments whose roots wait for approval, space or comma separated',
      'prod',
    )
    .action(async (options: Options) => {
      const { policy } = loadPolicyFile(options.config);
      const layout = policy.git;
      const environments = Object.keys(policy.environments);
      const prod = new Set(options.prodEnvironments.split(/[\s,]+/).filter(Boolean));
      const unknown = [...prod].filter((name) => !environments.includes(name));
      if (unknown.length > 0)
        throw invalid(
          `--prod-environments: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not an environment' : 'are not environments'} of the policy (${environments.join(', ')}); a misspelt name would let its roots apply without approval`,
        );
      const { repo } = options;
      if (!(await isRepository(repo))) throw invalid(`--repo ${repo}: not a git repository`);
      const base = await commitOf(repo, '--base', options.base);
      const head = await commitOf(repo, '--head', options.head);
      // What the pull request changes: from where it left the base (base...head), not the base's tip.
      const result = await changedRootsBetween(repo, layout, environments, base, head);
      if (result === null)
        throw invalid(
          `--base ${options.base} and --head ${options.head} have no common commit: fetch more history (a shallow clone has none)`,
        );
      process.stdout.write(`${JSON.stringify(report(result, layout, prod, base, head), null, 2)}\n`);
      if (result.problems.length > 0) throw new CliError(result.problems, EXIT.invalid);
    });
}

const invalid = (line: string) => new CliError([line], EXIT.invalid);

/** The commit a revision option names; refused naming the option when it names none. */
async function commitOf(repo: string, option: string, revision: string): Promise<string> {
  const commit = await resolveCommit(repo, revision);
  if (commit === null) throw invalid(`${option} ${revision}: not a commit in ${repo}`);
  return commit;
}

/** The JSON the pipelines read: snake_case, every root with what `terraform init` and the approval need. */
function report(result: ChangedRoots, layout: LayoutSettings, prod: Set<string>, base: string, head: string) {
  const entry = (root: Root, commit: string) => {
    const location =
      root.dbName !== null && root.environment !== null
        ? locate(layout, root.dbName, root.environment)
        : null;
    return {
      root: root.root,
      environment: root.environment,
      db_name: root.dbName,
      state_key: location?.stateKey ?? null,
      backend_config: location?.backendConfig ?? null,
      // The single root holds every environment: whether it touches prod is for its plan to say.
      prod: root.environment === null ? null : prod.has(root.environment),
      commit,
    };
  };
  return {
    layout: layout.layout,
    base,
    head,
    everything: result.everything,
    plan: result.plan.map((r) => entry(r, head)),
    destroy: result.destroy.map((r) => entry(r, base)),
    problems: result.problems,
  };
}
