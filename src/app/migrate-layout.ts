import { posix } from 'node:path';
import {
  type DatabaseLocation,
  LAYOUT_DEFAULTS,
  type LayoutSettings,
  layoutProblems,
  locate,
} from '../domain/layout.js';
import { ownValue } from '../domain/own-keys.js';
import type { Policy } from '../domain/policy.js';
import { dbNameProblems } from '../domain/request.js';
import { accountOf, defaultTagsOf, networkRef } from '../domain/resolve.js';
import { generatedForRequest, hasDigest, ownRootParts, withDigest } from '../render/terraform.js';

/**
 * Moving databases from the single root (`terraform/live/{db_name}.tf`, one state) to roots of their own
 * (the per-database policy's `git.file`, one state each). Pure: the caller reads the files and writes the
 * result. A migrated root is what renderTerraform writes for the same request under the per-database
 * policy: the same header and module block, with the module's `source` seen from the new root and the
 * environment's network spelled out instead of read from `var.networks`, after the root's own terraform and
 * provider blocks. The module keeps its address (`module.<db_name>`), so its state moves unchanged.
 */

/** A file of the single root's directory, as read from the working copy. */
export interface RootFile {
  path: string;
  content: string;
}

export interface MigrationInput {
  /** The per-database policy the databases move to. */
  policy: Policy;
  /** The single root's file template, e.g. terraform/live/{db_name}.tf. */
  from: string;
  /** The files directly in the single root's directory. */
  files: readonly RootFile[];
  /** Whether a path exists in the working copy. */
  exists: (path: string) => boolean;
}

export interface DatabaseMove {
  dbName: string;
  environment: string;
  requestId: string;
  /** The single-root file, removed. */
  from: string;
  /** Where the database's own root is. */
  to: DatabaseLocation;
  /** The new root's main file. */
  content: string;
}

export interface MigrationPlan {
  /** The single root's directory. */
  oldRoot: string;
  moves: DatabaseMove[];
  /** The shell script that moves each database's state and checks that every first plan is empty. */
  script: string;
}

/** What stops a migration: the file or setting it is about, and why. */
export interface MigrationProblem {
  path: string;
  message: string;
}

export type MigrationResult = { ok: true; plan: MigrationPlan } | { ok: false; problems: MigrationProblem[] };

export const DEFAULT_FROM = LAYOUT_DEFAULTS['single-root'].file;

export function planMigration(input: MigrationInput): MigrationResult {
  const { policy } = input;
  const problems: MigrationProblem[] = [];
  if (policy.git.layout !== 'per-database')
    problems.push({
      path: 'git.layout',
      message: `is ${policy.git.layout}: give the per-database policy the databases move to (--config)`,
    });
  const from: LayoutSettings = {
    layout: 'single-root',
    file: input.from,
    state_key: null,
    backend_config: null,
  };
  for (const { message } of layoutProblems(from)) problems.push({ path: '--from', message });
  if (problems.length > 0) return { ok: false, problems };

  const backend = policy.git.backend_config;
  if (backend !== null && !input.exists(backend))
    problems.push({
      path: backend,
      message: `does not exist: every new root initialises with this shared backend file (git.backend_config)`,
    });
  const oldRoot = posix.dirname(input.from);
  const nameOf = fileNamePattern(input.from);
  const generated = input.files
    .filter((f) => posix.dirname(f.path) === oldRoot && nameOf(f.path) !== null)
    .filter((f) => generatedForRequest(f.content) !== null)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (generated.length === 0)
    problems.push({
      path: oldRoot,
      message: `holds no file rds-provisioner generated (${input.from} whose first line names a request): nothing to migrate`,
    });

  const moves: DatabaseMove[] = [];
  for (const file of generated) {
    const move = planMove(file, nameOf(file.path) as string, policy, input.from);
    if ('problem' in move) problems.push({ path: file.path, message: move.problem });
    else if (input.exists(move.to.file))
      problems.push({
        path: move.to.file,
        message: `already exists: ${file.path} would move there; a migration never overwrites a root`,
      });
    else moves.push(move);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, plan: { oldRoot, moves, script: stateMoveScript(oldRoot, moves) } };
}

/** The {db_name} part of a path the template could have written; null for any other path. */
function fileNamePattern(template: string): (path: string) => string | null {
  const [before, after = ''] = template.split('{db_name}') as [string, string | undefined];
  return (path) => {
    if (!path.startsWith(before) || !path.endsWith(after) || path.length <= before.length + after.length)
      return null;
    const name = path.slice(before.length, path.length - after.length);
    return name.includes('/') ? null : name;
  };
}

/** The header's second line, as renderTerraform writes it: `# <db>: <engine> on <deployment> in <env>, size ...`. */
const HEADER_SUMMARY = /^# ([^:\s]+): .+ in ([^\s,]+), size [^\n]*$/m;
/** The environment tag in the module's tags. */
const ENVIRONMENT_TAG = /^ {4}"environment"\s+= "([^"]*)"$/m;

function planMove(
  file: RootFile,
  nameInPath: string,
  policy: Policy,
  from: string,
): DatabaseMove | { problem: string } {
  const requestId = generatedForRequest(file.content) as string;
  const nameProblems = dbNameProblems(nameInPath);
  if (nameProblems.length > 0)
    return { problem: `${nameInPath} is not a database name (${nameProblems.join('; ')}); move it by hand` };
  const summary = HEADER_SUMMARY.exec(file.content.split('\n').slice(0, 3).join('\n'));
  if (!summary)
    return {
      problem:
        'cannot read its environment: the header\'s second line should read "# <db_name>: <engine> on <deployment> in <environment>, size ..."',
    };
  const [, nameInHeader, environment] = summary as unknown as [string, string, string];
  if (nameInHeader !== nameInPath)
    return { problem: `its header names ${nameInHeader} but its file name says ${nameInPath}` };
  const tagged = ENVIRONMENT_TAG.exec(file.content)?.[1];
  if (tagged !== undefined && tagged !== environment)
    return { problem: `its header says environment ${environment} but its environment tag says ${tagged}` };
  const env = ownValue(policy.environments, environment);
  if (!env)
    return {
      problem: `its environment ${environment} is not in the policy (environments: ${Object.keys(policy.environments).join(', ')})`,
    };
  if (!env.network || !env.aws)
    return {
      problem: `environments.${environment}.network and .aws are required to give it a root of its own`,
    };

  const dbName = nameInPath;
  const singleRoot = { layout: 'single-root', file: from, state_key: null, backend_config: null } as const;
  const network = networkRef(environment, env);
  const to = locate(policy.git, dbName, environment);
  const account = accountOf(env);
  const defaultTags = defaultTagsOf(policy);
  const before = ownRootParts({
    dbName,
    location: locate(singleRoot, dbName, environment),
    account: null,
    network: { kind: 'live-variable', environment },
    defaultTags,
  });
  const after = ownRootParts({ dbName, location: to, account, network, defaultTags });
  const spliced = splice(file.content, dbName, before, after);
  if (typeof spliced !== 'string') return spliced;
  // The root's text changed, so a digest is written anew; a file that had none keeps none.
  const content = hasDigest(file.content) ? withDigest(spliced) : spliced;
  return { dbName, environment, requestId, from: file.path, to, content };
}

type Parts = ReturnType<typeof ownRootParts>;

/**
 * The single-root file with its module's source and network replaced and the root's blocks before the
 * module; everything else byte for byte. The module body's sections are the renderer's groups, one blank
 * line apart: the first is `source`, the network one starts with `vpc_id`.
 */
function splice(text: string, dbName: string, before: Parts, after: Parts): string | { problem: string } {
  const lines = text.split('\n');
  const start = lines.indexOf(`module "${dbName}" {`);
  const end = lines.indexOf('}', start);
  if (start === -1 || end === -1)
    return { problem: `has no module "${dbName}" block as rds-provisioner writes it; move it by hand` };
  const sections: string[][] = [[]];
  for (const line of lines.slice(start + 1, end)) {
    if (line === '') sections.push([]);
    else sections.at(-1)?.push(line);
  }
  const [source] = sections;
  if (source?.length !== 1 || !/^ {2}source\s+= /.test(source[0] as string))
    return { problem: `its module "${dbName}" does not start with its source; move it by hand` };
  const networkAt = sections.findIndex((s) => s[0]?.startsWith('  vpc_id '));
  const network = sections[networkAt]?.join('\n');
  if (network !== before.network && network !== after.network)
    return {
      problem: `its network is neither var.networks["<environment>"] nor the policy's network for its environment: the first plan would change it; make them agree first`,
    };
  sections[0] = [after.source];
  sections[networkAt] = after.network.split('\n');
  const body = sections.map((s) => s.join('\n')).join('\n\n');
  return [
    lines.slice(0, start).join('\n'),
    '\n',
    after.rootBlocks,
    lines[start],
    '\n',
    body,
    '\n',
    lines.slice(end).join('\n'),
  ].join('');
}

const sh = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/**
 * A bash script, run from the repository root after the files moved, in three steps that can each be run
 * again: `split` (local only: pull the single root's state, keep a backup, and cut it with `terraform state
 * mv` into one state file per database), `push` (each new root's state, then what remains to the single
 * root), `check` (plan every root; fails unless every plan is empty). `rollback` puts the backup back.
 */
export function stateMoveScript(oldRoot: string, moves: readonly DatabaseMove[]): string {
  const perDatabase = (f: (m: DatabaseMove) => string[]) => moves.flatMap(f);
  const stateFile = (m: DatabaseMove) => `"$WORK"/${sh(`${m.environment}/${m.dbName}.tfstate`)}`;
  const address = (m: DatabaseMove) => sh(`module.${m.dbName}`);
  const init = (m: DatabaseMove) =>
    `terraform -chdir=${sh(m.to.root)} init -input=false${m.to.backendConfig ? ` -backend-config=${sh(m.to.backendConfig)}` : ''}`;
  return `#!/usr/bin/env bash
# Written by rds-provisioner migrate-layout: moves each database's state from the single root ${oldRoot}
# to its own root, without destroying anything (docs/migration.md). Run it from the repository root,
# with the pipeline's apply paused, after \`rds-provisioner migrate-layout --write\` moved the files and
# with ${oldRoot} initialised against its backend as the pipeline initialises it:
#
#   bash migrate-state.sh split WORK     # local only: pull the state, back it up, cut it per database
#   bash migrate-state.sh push WORK      # each new root's state, then what remains to the single root
#   bash migrate-state.sh check          # every plan must be empty (exit 0), or this fails
#   bash migrate-state.sh rollback WORK  # empty the new roots' states, push the backup back
#
# WORK is a directory outside the repository: it holds state (keep it private) and the backup.
set -euo pipefail

OLD_ROOT=${sh(oldRoot)}
STEP="\${1:-}"
if [ "$STEP" != check ]; then
  [ -n "\${2:-}" ] || { echo "usage: $0 split|push|rollback WORK, or $0 check" >&2; exit 2; }
  mkdir -p "$2"
  WORK="$(cd "$2" && pwd)"
fi

split() {
  if [ ! -e "$WORK/single-root.backup.tfstate" ]; then
    terraform -chdir="$OLD_ROOT" state pull > "$WORK/single-root.tfstate"
    [ -s "$WORK/single-root.tfstate" ] || { echo "$OLD_ROOT has no state: nothing to move" >&2; exit 1; }
    cp "$WORK/single-root.tfstate" "$WORK/single-root.backup.tfstate"
    echo "backup: $WORK/single-root.backup.tfstate"
  fi
${perDatabase((m) => [
  `  if [ ! -e ${stateFile(m)} ]; then`,
  `    [ -n "$(terraform state list -state="$WORK/single-root.tfstate" ${address(m)})" ] ||`,
  `      { echo ${sh(`module.${m.dbName} is not in the state of ${oldRoot}: apply it there first, or leave ${m.from} out of the migration`)} >&2; exit 1; }`,
  `    mkdir -p "$WORK"/${sh(m.environment)}`,
  `    terraform state mv -state="$WORK/single-root.tfstate" -state-out=${stateFile(m)} ${address(m)} ${address(m)}`,
  '  fi',
]).join('\n')}
  echo "left in $OLD_ROOT:"
  terraform state list -state="$WORK/single-root.tfstate"
}

push() {
${perDatabase((m) => [`  ${init(m)}`, `  terraform -chdir=${sh(m.to.root)} state push ${stateFile(m)}`]).join('\n')}
  terraform -chdir="$OLD_ROOT" state push "$WORK/single-root.tfstate"
}

check() {
  failed=0
  for root in ${moves.map((m) => sh(m.to.root)).join(' ')} "$OLD_ROOT"; do
    code=0
    terraform -chdir="$root" plan -input=false -lock=false -detailed-exitcode > /dev/null || code=$?
    case $code in
      0) echo "$root: no changes" ;;
      2) echo "$root: the plan is not empty: read it (terraform -chdir=$root plan); a migration changes nothing: fix the policy (network, aws, default_tags) or roll back (docs/migration.md)" >&2; failed=1 ;;
      *) echo "$root: the plan failed (exit $code)" >&2; failed=1 ;;
    esac
  done
  [ "$failed" = 0 ] || exit 1
  echo "every first plan is empty"
}

rollback() {
  [ -e "$WORK/single-root.backup.tfstate" ] || { echo "no backup in $WORK" >&2; exit 1; }
${perDatabase((m) => [
  `  if [ -d ${sh(`${m.to.root}/.terraform`)} ]; then`,
  `    terraform -chdir=${sh(m.to.root)} state rm ${address(m)} || true`,
  '  fi',
]).join('\n')}
  terraform -chdir="$OLD_ROOT" state push -force "$WORK/single-root.backup.tfstate"
  echo "restored ${oldRoot}'s state from the backup; now restore its files (git revert or checkout)"
}

case "$STEP" in
  split | push | check | rollback) "$STEP" ;;
  *) echo "usage: $0 split|push|rollback WORK, or $0 check" >&2; exit 2 ;;
esac
`;
}
