// The naive way, as the baseline of the end-to-end section: the git work of one request done with plain
// git commands on a scratch bare repository: `git hash-object -w` (the file), `git mktree` for
// terraform/live, terraform and the root (three levels, each a process), `git commit-tree`,
// `git update-ref` (the branch). The base trees are listed once beforehand, not per request.
import { spawn } from 'node:child_process';
import { author, headOf, rendered, requestFor, run, seededRepository } from './fixtures.mjs';
import { now, percentile } from './lib.mjs';

function git(repo, args, input, env) {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [`--git-dir=${repo}`, ...args], {
      env: env ? { ...process.env, ...env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`git ${args[0]}: ${err.trim()}`)),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

async function lsTree(repo, treeish) {
  const { stdout } = await run('git', [`--git-dir=${repo}`, 'ls-tree', treeish]);
  return stdout.split('\n').filter(Boolean);
}

const entryName = (line) => line.slice(line.indexOf('\t') + 1);

export async function gitBaselineRepo() {
  const repo = await seededRepository('naive');
  const head = await headOf(repo);
  const root = await lsTree(repo, `${head}^{tree}`);
  const terraform = await lsTree(repo, `${head}:terraform`);
  const live = await lsTree(repo, `${head}:terraform/live`);
  const env = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
  /** One request's git work; returns its milliseconds. */
  const once = async (dbName, i) => {
    const { content } = rendered(requestFor(dbName, i));
    const start = now();
    const blob = await git(repo, ['hash-object', '-w', '--stdin'], content);
    const replace = (lines, name, line) => [...lines.filter((l) => entryName(l) !== name), line].join('\n');
    const liveTree = await git(
      repo,
      ['mktree'],
      `${replace(live, `${dbName}.tf`, `100644 blob ${blob}\t${dbName}.tf`)}\n`,
    );
    const tfTree = await git(
      repo,
      ['mktree'],
      `${replace(terraform, 'live', `040000 tree ${liveTree}\tlive`)}\n`,
    );
    const rootTree = await git(
      repo,
      ['mktree'],
      `${replace(root, 'terraform', `040000 tree ${tfTree}\tterraform`)}\n`,
    );
    const commit = await git(repo, ['commit-tree', rootTree, '-p', head], `Provision ${dbName}\n`, env);
    await git(repo, ['update-ref', `refs/heads/feature/provision-rds-${dbName}`, commit, '0'.repeat(40)]);
    return now() - start;
  };
  return { repo, once };
}

/** Sequential latency (samples) and throughput (count requests, `concurrency` at a time). */
export async function benchGitBaseline({ samples = 30, count = 200, concurrency = 4 } = {}) {
  const { once } = await gitBaselineRepo();
  for (let i = 0; i < 5; i++) await once(`warm-${i}`, i);
  const latencies = [];
  for (let i = 0; i < samples; i++) latencies.push(await once(`seq-${i}`, i));
  let next = 0;
  const start = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await once(`par-${i}`, i);
      }
    }),
  );
  const seconds = (now() - start) / 1000;
  return {
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    rps: count / seconds,
    count,
    concurrency,
  };
}
