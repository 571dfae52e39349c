/**
 * `init-repo`: the files an infrastructure repository needs, and what to do with each against what the
 * repository already holds. Every file is checked before any is written: a file that exists with other
 * content is a conflict, and one conflict means nothing is written.
 */
import type { InitRepoSettings } from '../domain/init-repo.js';
import { MODULE_DIR } from '../domain/layout.js';
import { renderInfraPipeline } from '../render/infra-pipeline.js';
import {
  renderBackendHcl,
  renderNetworksTfvars,
  renderProvidersTfvars,
  renderSingleRootBackend,
} from '../render/init-repo-files.js';

export interface RepositoryFile {
  path: string;
  content: string;
}

/** A file of the package (the module, terraform/live, the single root's files), by its path there. */
export interface PackageFile {
  /** Where it goes in the repository. */
  path: string;
  content: string;
}

/** What the repository holds where a file goes: nothing, the same file, or something else. */
export type Existing = 'absent' | 'same' | 'different';

export interface InitRepoPlan {
  /** To write: absent from the repository. */
  write: RepositoryFile[];
  /** Already there with the same content. */
  unchanged: string[];
  /** There with other content (or a directory where a file goes): nothing is written. */
  conflicts: string[];
}

/**
 * Every file of the repository: the package's (the module, the layout's live files) with the values the
 * user gave written into the ones that carry them, the policy the pipeline reads, and the pipeline.
 */
export function repositoryFiles(
  settings: InitRepoSettings,
  packageFiles: readonly PackageFile[],
  pipelineSource: string,
): RepositoryFile[] {
  const rendered = new Map<string, string>(
    settings.layout === 'per-database'
      ? [['terraform/live/backend.hcl', renderBackendHcl(settings.state)]]
      : [
          ['terraform/live/backend.tf', renderSingleRootBackend(settings.state)],
          ['terraform/live/providers.auto.tfvars', renderProvidersTfvars(settings)],
          ['terraform/live/networks.auto.tfvars', renderNetworksTfvars(settings.environments)],
        ],
  );
  const files = packageFiles.map((file) => ({
    path: file.path,
    content: rendered.get(file.path) ?? file.content,
  }));
  for (const [path, content] of rendered)
    if (!files.some((file) => file.path === path)) files.push({ path, content });
  files.push({ path: 'config/policy.yaml', content: settings.policyText });
  const pipeline = renderInfraPipeline(settings.pipeline, pipelineSource, settings);
  files.push({ path: pipeline.path, content: pipeline.text });
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Sorts each file into write, unchanged or conflict against what the repository holds. */
export function planInitRepo(
  files: readonly RepositoryFile[],
  existing: (file: RepositoryFile) => Existing,
): InitRepoPlan {
  const plan: InitRepoPlan = { write: [], unchanged: [], conflicts: [] };
  for (const file of files) {
    const there = existing(file);
    if (there === 'absent') plan.write.push(file);
    else if (there === 'same') plan.unchanged.push(file.path);
    else plan.conflicts.push(file.path);
  }
  return plan;
}

/** The pull request's title and body for `--github`. */
export function pullRequestText(settings: InitRepoSettings, files: readonly RepositoryFile[]) {
  const pipeline = settings.pipeline === 'circleci' ? 'CircleCI' : 'GitHub Actions';
  return {
    title: 'Set up rds-provisioner: the rds module, terraform/live and the Terraform pipeline',
    body: [
      `Written by \`rds-provisioner init-repo\` (${settings.layout} layout, ${pipeline}).`,
      '',
      `- \`${MODULE_DIR}\`: the module every database's Terraform calls`,
      settings.layout === 'per-database'
        ? '- `terraform/live`: where each database gets a root of its own; `backend.hcl` holds the state settings they share'
        : '- `terraform/live`: the single root (providers, backend, networks) the databases are files of',
      '- `config/policy.yaml`: the policy the pipeline reads the layout from (the service must run with the same)',
      `- the ${pipeline} pipeline: plan on pull requests, apply on merge, prod behind an approval`,
      '',
      `${files.length} files; none existed before.`,
      '',
    ].join('\n'),
  };
}
