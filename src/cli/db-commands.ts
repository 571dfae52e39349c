import { createInterface } from 'node:readline/promises';
import { type Command, Option } from 'commander';
import { type InferResponseType, parseResponse } from 'hono/client';
import { changeV1Schema } from '../domain/change.js';
import { dbNameProblems, ENGINES, type Engine, toFieldIssues } from '../domain/request.js';
import { ApiClient, type ClientOptions, clientOptions } from './api-client.js';
import { invalidInput } from './exit-codes.js';
import { age, connectionLines, driftLines, table, writeJson } from './format.js';
import { readPages } from './paging.js';
import { type FollowOptions, untilOption, waitAndReport, waits } from './request-follow.js';
import { numberOrText, parseTags } from './request-options.js';

/** `db list|show|change|retire`: the databases on the base branch, through the server's typed client. */

type Databases = ApiClient['api']['databases'];
type Detail = InferResponseType<Databases[':db_name']['$get'], 200>;
type Preview = InferResponseType<Databases[':db_name']['$delete'], 200>;
type Accepted = InferResponseType<Databases[':db_name']['$delete'], 202>;

const repeatable = (value: string, previous: string[] = []) => [...previous, value];
const shown = (value: string | number | null) => (value === null ? '-' : String(value));

export function registerDb(program: Command): void {
  const db = program
    .command('db')
    .description('the databases on the base branch: list, show, change and retire them');

  clientOptions(db.command('list').description('list the databases on the base branch, by name'))
    .option('--environment <env>', 'only this environment')
    .option('--engine <engine>', `only this engine: ${ENGINES.join(', ')}`)
    .option('--owner <owner>', 'only this owner')
    .option('--limit <n>', 'at most this many (1-100; with --all, per page)')
    .option('--all', 'every page, following next_cursor')
    .option('--json', "the API's JSON: {databases, next_cursor}")
    .action(async (options: ClientOptions & ListOptions) => {
      const engine = options.engine === undefined ? undefined : checkedEngine(options.engine);
      const client = new ApiClient(options);
      const query = {
        ...(options.environment !== undefined && { environment: options.environment }),
        ...(engine !== undefined && { engine }),
        ...(options.owner !== undefined && { owner: options.owner }),
        ...(options.limit !== undefined && { limit: options.limit }),
      };
      const { items: databases, next } = await readPages(async (cursor) => {
        const page = await parseResponse(
          client.api.databases.$get({ query: { ...query, ...(cursor && { cursor }) } }),
        );
        return { items: page.databases, next_cursor: page.next_cursor };
      }, options.all);
      if (options.json) {
        writeJson({ databases, next_cursor: next });
        return;
      }
      process.stdout.write(
        table(
          [
            'NAME',
            'ENV',
            'ENGINE',
            'DEPLOYMENT',
            'VERSION',
            'SIZE',
            'INSTANCES',
            'OWNER',
            'MANAGED',
            'IN FLIGHT',
            'DRIFT',
          ],
          databases.map((d) => [
            d.db_name,
            shown(d.environment),
            shown(d.engine),
            shown(d.deployment),
            shown(d.engine_version),
            shown(d.size),
            shown(d.instances),
            shown(d.owner),
            d.managed,
            shown(d.in_flight),
            d.drift ? d.drift.status : '-',
          ]),
        ),
      );
      if (next !== null) process.stderr.write('more databases: give --all to list every page\n');
    });

  clientOptions(
    db.command('show').description('show a database, its file and its requests').argument('<name>'),
  )
    .option('--json', "the API's JSON, with the file's content")
    .action(async (name: string, options: ClientOptions & { json?: boolean }) => {
      const param = { db_name: checkedName(name) };
      const detail = await parseResponse(new ApiClient(options).api.databases[':db_name'].$get({ param }));
      if (options.json) writeJson(detail);
      else process.stdout.write(describeDatabase(detail));
    });

  clientOptions(
    db
      .command('change')
      .description('change a database through a reviewed pull request that touches only what is named')
      .argument('<name>'),
  )
    .option('--size <size>', 'small, medium, large or xlarge')
    .option('--instances <n>', 'Aurora writer plus readers, 1-5')
    .option('--engine-version <version>', 'a newer version the policy allows')
    .option(
      '--allow-major-version-upgrade',
      'say yes to a major version upgrade (test the application first)',
    )
    .option('--owner <owner>', 'owning team or person')
    .option('--tag <key=value>', 'set a tag, repeatable', repeatable)
    .option('--remove-tag <key>', 'remove a tag, repeatable', repeatable)
    .option('--deployment <kind>', 'aurora or aurora-serverless (the same cluster)')
    .option('--dry-run', 'print the diff and the pull request it would open; nothing is queued')
    .option('--wait', 'follow the request until its pull request is open (or it fails); see --until')
    .addOption(untilOption())
    // Not changeable, but taken so that the change schema refuses them with its reason, not "unknown option".
    .addOption(new Option('--engine <engine>').hideHelp())
    .addOption(new Option('--environment <env>').hideHelp())
    .addHelpText(
      'after',
      '\nThe engine, the environment and the name stay: each is a new database, not a change.',
    )
    .action(async (name: string, options: ClientOptions & ChangeOptions) => {
      const param = { db_name: checkedName(name) };
      const json = changeFromOptions(options);
      const client = new ApiClient(options);
      const answer = await parseResponse(
        client.api.databases[':db_name'].$patch({
          param,
          query: options.dryRun ? { dry_run: 'true' } : {},
          json,
        }),
      );
      await report(client, answer, options);
    });

  clientOptions(
    db
      .command('retire')
      .description('retire a database: reviewed pull requests that end with its file gone')
      .argument('<name>'),
  )
    .option('--dry-run', 'print the diff and the pull request it would open; nothing is queued')
    .option('--wait', 'follow the request until its pull request is open (or it fails); see --until')
    .addOption(untilOption())
    .option('--yes', 'do not ask for confirmation (needed when standard input is not a terminal)')
    .action(async (name: string, options: ClientOptions & LifecycleOptions & { yes?: boolean }) => {
      const param = { db_name: checkedName(name) };
      if (!options.dryRun && !options.yes) await confirmRetire(param.db_name);
      const client = new ApiClient(options);
      const answer = await parseResponse(
        client.api.databases[':db_name'].$delete({
          param,
          query: options.dryRun ? { dry_run: 'true' } : {},
        }),
      );
      await report(client, answer, options);
    });
}

interface ListOptions {
  environment?: string;
  engine?: string;
  owner?: string;
  limit?: string;
  all?: boolean;
  json?: boolean;
}

interface LifecycleOptions extends FollowOptions {
  dryRun?: boolean;
}

interface ChangeOptions extends LifecycleOptions {
  size?: string;
  instances?: string;
  engineVersion?: string;
  allowMajorVersionUpgrade?: boolean;
  owner?: string;
  tag?: string[];
  removeTag?: string[];
  deployment?: string;
  engine?: string;
  environment?: string;
}

function checkedEngine(engine: string): Engine {
  const known = ENGINES.find((e) => e === engine);
  if (known === undefined)
    throw invalidInput([{ path: 'engine', message: `must be one of: ${ENGINES.join(', ')}` }]);
  return known;
}

/** The database name, refused before anything is sent when it cannot be one. */
function checkedName(name: string): string {
  const problems = dbNameProblems(name);
  if (problems.length > 0) throw invalidInput(problems.map((message) => ({ path: 'NAME', message })));
  return name;
}

/**
 * The change as the API takes it, checked by the change schema itself (the server's own rules), so a
 * malformed value is refused before anything is sent; the policy is the server's to judge.
 */
function changeFromOptions(options: ChangeOptions) {
  const tags: Record<string, string | null> = options.tag ? parseTags(options.tag) : Object.create(null);
  for (const key of options.removeTag ?? []) tags[key] = null;
  const body = {
    ...(options.size !== undefined && { size: options.size }),
    ...(options.instances !== undefined && { instances: numberOrText(options.instances) }),
    ...(options.engineVersion !== undefined && { engine_version: options.engineVersion }),
    ...(options.owner !== undefined && { owner: options.owner }),
    ...(Object.keys(tags).length > 0 && { tags }),
    ...(options.deployment !== undefined && { deployment: options.deployment }),
    ...(options.engine !== undefined && { engine: options.engine }),
    ...(options.environment !== undefined && { environment: options.environment }),
  };
  if (Object.keys(body).length === 0)
    throw invalidInput([
      {
        path: '(options)',
        message:
          'names nothing to change; give one or more of --size, --instances, --engine-version, --owner, --tag, --remove-tag, --deployment',
      },
    ]);
  const parsed = changeV1Schema.safeParse({
    ...body,
    ...(options.allowMajorVersionUpgrade && { allow_major_version_upgrade: true }),
  });
  if (!parsed.success) throw invalidInput(toFieldIssues(parsed.error));
  return parsed.data;
}

/** Retiring removes a database: on a terminal, the person types its name; elsewhere --yes says so. */
async function confirmRetire(name: string): Promise<void> {
  if (!process.stdin.isTTY)
    throw invalidInput([
      {
        path: '--yes',
        message: `standard input is not a terminal, so nobody can confirm; give --yes to retire ${name}`,
      },
    ]);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const typed = await prompt.question(
      `Retire ${name}? Pull requests will remove it from the base branch. Type its name to confirm: `,
    );
    if (typed.trim() !== name)
      throw invalidInput([
        { path: '--yes', message: `not confirmed; nothing was sent (give --yes to skip asking)` },
      ]);
  } finally {
    prompt.close();
  }
}

/** A dry run's diff and pull request; otherwise the request id, or the request followed with --wait. */
async function report(
  client: ApiClient,
  answer: Preview | Accepted,
  options: LifecycleOptions,
): Promise<void> {
  if ('dry_run' in answer) {
    const { diff, branch, base, pull_request } = answer;
    process.stdout.write(
      `${diff}${diff.endsWith('\n') || diff === '' ? '' : '\n'}\npull request ${branch} -> ${base}\n${pull_request.title}\n\n${pull_request.body}${pull_request.body.endsWith('\n') ? '' : '\n'}`,
    );
    return;
  }
  if (waits(options)) await waitAndReport(client, answer.request_id, options.until);
  else process.stdout.write(`${answer.request_id}  queued  ${answer.status_url}\n`);
}

function describeDatabase(d: Detail): string {
  const tags = Object.entries(d.tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const fields: Array<[string, string]> = [
    ['environment', shown(d.environment)],
    ['engine', shown(d.engine)],
    ['deployment', shown(d.deployment)],
    ['version', shown(d.engine_version)],
    ['size', shown(d.size)],
    ['instances', shown(d.instances)],
    ['owner', shown(d.owner)],
    ['tags', tags || '-'],
    ['file', d.file],
    ['managed', d.problem ? `${d.managed}: ${d.problem}` : d.managed],
    ['written by', shown(d.request_id)],
    ['in flight', shown(d.in_flight)],
  ];
  const width = Math.max(...fields.map(([label]) => label.length));
  const head = fields.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
  // What the pipeline reported for the database: how to reach it, and the nightly drift plan's verdict.
  const reported = [
    ...(d.connection ? connectionLines(d.connection) : []),
    ...(d.drift ? driftLines(d.drift) : []),
  ];
  const requests =
    d.requests.length === 0
      ? 'no requests recorded for this name\n'
      : table(
          ['REQUEST', 'KIND', 'STATUS', 'REQUESTER', 'AGE', 'PR'],
          d.requests.map((r) => [
            r.request_id,
            r.step > 1 ? `${r.kind} (step ${r.step})` : r.kind,
            r.status,
            r.requester,
            age(r.created_at),
            r.pull_request?.url ?? '',
          ]),
        );
  const pipeline = reported.length > 0 ? `\n${reported.join('\n')}\n` : '';
  return `${d.db_name}\n${head}\n${pipeline}\n${requests}`;
}
