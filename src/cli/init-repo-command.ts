import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { SKIPPED, seededDirectories } from '../adapters/local/git-infra-repository.js';
import {
  type Existing,
  type InitRepoPlan,
  type PackageFile,
  planInitRepo,
  type RepositoryFile,
  repositoryFiles,
} from '../app/init-repo.js';
import {
  FLAG_EXAMPLES,
  type InitRepoFlags,
  type InitRepoSettings,
  resolveInitRepo,
} from '../domain/init-repo.js';
import { type LayoutKind, MODULE_DIR } from '../domain/layout.js';
import { parsePolicy } from '../domain/policy.js';
import { PIPELINE_SOURCES } from '../render/infra-pipeline.js';
import { GITHUB_REPOSITORY_PATTERN } from '../runtime/github-from-env.js';
import { DEFAULT_POLICY_PATH, PolicyFileError } from '../runtime/policy-file.js';
import { CliError, EXIT, invalidInput } from './exit-codes.js';
import { refuseConflicts } from './init-repo-conflicts.js';
import { initRepoOnGitHub } from './init-repo-github.js';

/** The package root: its terraform/ and pipelines are what a repository is set up with. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Options extends InitRepoFlags {
  github?: string;
  policy: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `init-repo [PATH]` / `init-repo --github OWNER/REPO`: sets up the repository the database pull requests
 * go to: the rds module, terraform/live in the policy's layout with the backend, regions and networks
 * given, the policy the pipeline reads, and the pipeline. Adds, never overwrites: a file there with other
 * content is a conflict (exit 3), and then nothing is written.
 */
export function registerInitRepo(program: Command): void {
  program
    .command('init-repo')
    .description('set up an infrastructure repository: the rds module, terraform/live and the pipeline')
    .argument('[path]', 'a local directory (usually a git checkout): the files are written into it')
    .option('--github <owner/repo>', 'a GitHub repository instead: one branch, one commit, one pull request')
    .option('--policy <file>', 'the policy: its git.layout chooses the layout', DEFAULT_POLICY_PATH)
    .option('--pipeline <kind>', 'circleci (as the original system) or github-actions')
    .option('--state-bucket <name>', 'the S3 bucket of the Terraform state (it must exist, versioned)')
    .option('--state-region <region>', "the state bucket's region")
    .option('--region <[env=]region>', "an environment's region (per-database), or every one's", collect, [])
    .option('--role-arn <env=arn>', 'a role the roots of an environment assume (per-database)', collect, [])
    .option('--vpc <env=vpc-id>', "an environment's VPC", collect, [])
    .option(
      '--subnets <env=subnet-id,...>',
      "an environment's private subnets (two AZs or more)",
      collect,
      [],
    )
    .option('--security-groups <env=sg-id,...>', 'security groups whose members may connect', collect, [])
    .option('--cidr-blocks <env=cidr,...>', 'CIDR blocks that may connect (never /0)', collect, [])
    .option(
      '--repository <name>',
      "the repository tag on every resource (default: the policy's default_tags.repository, else for --github github.com/OWNER/REPO)",
    )
    .option(
      '--cli-source <git-url>',
      'where the pipeline fetches the rds-provisioner source (default: its origin)',
    )
    .option('--cli-ref <ref>', 'the tag, branch or commit of it the pipeline builds', `v${packageVersion()}`)
    .action(async (path: string | undefined, options: Options) => {
      if ((path === undefined) === (options.github === undefined))
        throw invalid(
          path === undefined
            ? 'init-repo: give the repository: a local PATH or --github OWNER/REPO'
            : 'init-repo: give a local PATH or --github OWNER/REPO, not both',
        );
      const github = options.github;
      if (github !== undefined && !GITHUB_REPOSITORY_PATTERN.test(github))
        throw invalid(`--github: must be OWNER/REPO, got ${JSON.stringify(github)}`);
      const target = path === undefined ? undefined : resolve(path);
      if (target !== undefined && !isDirectory(target))
        throw invalid(`${path}: not a directory (create it, or clone the repository there, first)`);

      const settings = await settingsFrom(options);
      const files = repositoryFiles(
        settings,
        packageFiles(settings.layout),
        readFileSync(join(PACKAGE_ROOT, PIPELINE_SOURCES[settings.pipeline]), 'utf8'),
      );
      if (github !== undefined) {
        await initRepoOnGitHub(github, settings, files);
        return;
      }
      const plan = planInitRepo(files, (file) => existingFile(target as string, file));
      refuseConflicts(plan, target as string);
      for (const file of plan.write) {
        const at = join(target as string, ...file.path.split('/'));
        mkdirSync(dirname(at), { recursive: true });
        writeFileSync(at, file.content, { flag: 'wx' });
      }
      report(plan, target as string);
    });
}

const invalid = (line: string) => new CliError([line], EXIT.invalid);

/** The flags, the prompts for what is missing (on a terminal), checked by the policy's own rules. */
async function settingsFrom(options: Options): Promise<InitRepoSettings> {
  let text: string;
  try {
    text = readFileSync(options.policy, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new PolicyFileError(options.policy, [{ path: '(file)', message: reason }]);
  }
  const parsed = parsePolicy(text, options.policy);
  if (!parsed.ok) throw new PolicyFileError(options.policy, parsed.issues);
  const policy = parsed.value.policy;
  const defaults = {
    cliRef: options.cliRef ?? `v${packageVersion()}`,
    ...optional('repository', options.github && `github.com/${options.github}`),
    ...optional('cliSource', originOfPackage()),
  };
  const flags = { ...options };
  let result = resolveInitRepo(policy, text, flags, defaults);
  if (!result.ok && result.missing && result.missing.length > 0 && process.stdin.isTTY) {
    await prompt(flags, result.missing);
    result = resolveInitRepo(policy, text, flags, defaults);
  }
  if (!result.ok) throw invalidInput(result.issues);
  return result.value;
}

const optional = <K extends string>(key: K, value: string | undefined | false) =>
  (value ? { [key]: value } : {}) as Partial<Record<K, string>>;

/**
 * Asks for each missing value on the terminal; an empty answer leaves it missing. Lines are read as they
 * come (not per question), so answers typed or pasted ahead are kept.
 */
async function prompt(flags: Options, missing: readonly string[]): Promise<void> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  try {
    for (const flag of missing) {
      const [name, env] = flag.split(' ') as [string, string | undefined];
      process.stderr.write(`${flag} (e.g. ${FLAG_EXAMPLES[name] ?? ''}): `);
      const next = await lines.next();
      if (next.done) break;
      const answer = String(next.value).trim();
      if (answer === '') continue;
      const key = name
        .slice(2)
        .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof InitRepoFlags;
      const value = env === undefined ? answer : `${env}=${answer}`;
      const current = flags[key];
      if (Array.isArray(current)) current.push(value);
      else (flags as unknown as Record<string, string>)[key] = value;
    }
  } finally {
    rl.close();
  }
}

/** The package's files for a layout, by where they go in the repository (terraform/ as the local data dir seeds it). */
function packageFiles(layout: LayoutKind): PackageFile[] {
  const files: PackageFile[] = [];
  const walk = (from: string, to: string, only: (name: string) => boolean = () => true) => {
    for (const name of readdirSync(from).sort()) {
      if (SKIPPED(name) || !only(name)) continue;
      const source = join(from, name);
      const stat = lstatSync(source);
      if (stat.isDirectory()) walk(source, `${to}/${name}`);
      else if (stat.isFile()) files.push({ path: `${to}/${name}`, content: readFileSync(source, 'utf8') });
    }
  };
  for (const { from, to, only } of seededDirectories(layout)) walk(join(PACKAGE_ROOT, from), to, only);
  if (!files.some((file) => file.path.startsWith(`${MODULE_DIR}/`)))
    throw new CliError(
      [`${join(PACKAGE_ROOT, MODULE_DIR)} is missing: cannot set up the repository`],
      EXIT.error,
    );
  return files;
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** What the working tree holds where a file goes: nothing, the same file, or something else in the way. */
function existingFile(root: string, file: RepositoryFile): Existing {
  const parts = file.path.split('/');
  for (let i = 1; i <= parts.length; i++) {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(join(root, ...parts.slice(0, i)));
    } catch {
      return 'absent';
    }
    if (i < parts.length && !stat.isDirectory()) return 'different';
  }
  const at = join(root, ...parts);
  return lstatSync(at).isFile() && readFileSync(at, 'utf8') === file.content ? 'same' : 'different';
}

function report(plan: InitRepoPlan, target: string): void {
  const lines = [
    ...plan.write.map((file) => `written: ${file.path}`),
    ...plan.unchanged.map((path) => `unchanged: ${path}`),
  ];
  lines.push(
    plan.write.length === 0
      ? `${target} is up to date: every file was already there with the same content`
      : `${plan.write.length} written, ${plan.unchanged.length} already there; nothing committed: review, then git add and commit`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The origin of the checkout this CLI runs from: where a pipeline fetches the same source. */
function originOfPackage(): string | undefined {
  try {
    return (
      execFileSync('git', ['-C', PACKAGE_ROOT, 'remote', 'get-url', 'origin'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
}
