// `npm run bench`: the four benchmarks of the service, each figure beside a baseline measured in the
// same run, as `figure  baseline  ratio  target  PASS/MISS`. See BENCHMARKS.md.
//   --only=accept,e2e,repo,github,lambda,roots,lifecycle,reports,jwt   run some sections
//   --quick                  shorter runs (a smoke test; figures not for BENCHMARKS.md)
//   --profile                also CPU-profile the servers (node --cpu-prof) and break the accept path
//                            down in-process; summaries printed, profiles kept under .tmp/bench/
//   --keep                   keep the temporary data dirs and repositories (listed under the system temp dir)
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { benchAccept } from './accept.mjs';
import { acceptBreakdown } from './accept-breakdown.mjs';
import { benchEndToEnd } from './end-to-end.mjs';
import { benchGitHubBurst } from './github-burst.mjs';
import { benchJwt } from './jwt.mjs';
import { benchLambda } from './lambda.mjs';
import { canPin, fmt, machine, printTable, ROOT, removeTempDirs } from './lib.mjs';
import { benchLifecycle } from './lifecycle.mjs';
import { formatSummary } from './profile-summary.mjs';
import { benchRepoSize } from './repo-size.mjs';
import { benchReports } from './reports.mjs';
import { benchRoots } from './roots.mjs';
import { sqliteIntake } from './sqlite-intake.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const wants = (section) => !only || only.includes(section);
const quick = flag('quick');
const profile = flag('profile');
const outDir = join(ROOT, '.tmp', 'bench');
mkdirSync(outDir, { recursive: true });

// Temporary data dirs and repositories go when the run ends, whether it succeeded or not.
if (!flag('keep')) process.on('exit', removeTempDirs);

const started = Date.now();
const m = machine();
console.log(`rds-provisioner benchmarks, ${new Date().toISOString()}`);
console.log(
  `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB memory (${m.freeGiB} free), ${m.platform}`,
);
console.log(`node ${m.node}, git ${m.git}; load average at start ${m.load.join(' ')}`);
console.log(
  'Each figure is printed beside a baseline measured in the same run; ratio = figure / baseline.\n',
);

const results = { date: new Date().toISOString(), machine: m, quick, sections: {} };
const targets = [];

function profileDir(name) {
  if (!profile) return undefined;
  const dir = join(outDir, `profile-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function printProfile(dir, title) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    console.log(`\n${title}:\n${formatSummary(join(dir, file), 15)}`);
  }
}

/** Ms by step, before -> after with the difference; keys ranked by the first `order` prefix they start with. */
function printSteps(title, before, after, order = []) {
  const rank = (key) => order.findIndex((prefix) => key.startsWith(prefix));
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(
    (x, y) => rank(x) - rank(y),
  );
  console.log(`   ${title}`);
  for (const key of keys) {
    const x = before[key] ?? 0;
    const y = after[key] ?? 0;
    console.log(
      `     ${key.padEnd(26)} ${x.toFixed(2).padStart(7)} -> ${y.toFixed(2).padStart(7)}  (${y - x >= 0 ? '+' : ''}${(y - x).toFixed(2)})`,
    );
  }
}

if (wants('accept')) {
  const dir = profileDir('accept');
  const r = await benchAccept(
    quick ? { seconds: 3, rounds: 1, warmup: 1, profileDir: dir } : { profileDir: dir },
  );
  console.log(
    `1. Accept path: autocannon, ${r.setup.connections} connections, ${r.setup.rounds} round(s) of ${r.setup.seconds} s per server ` +
      `after ${r.setup.warmup} s warm-up, interleaved; ${r.setup.pinned}.`,
  );
  console.log(
    '   real = `rds-provisioner serve --workers 0`; baseline = bare node:http answering 202; Hono alone = the framework only.',
  );
  printTable('1. accept path', r.rows);
  console.log(
    `   per round: ${r.rounds.map((x) => `${x.name} ${x.rps}/s p50 ${x.p50} ms cpu ${x.cpuPerRequestMs} ms`).join('; ')}\n`,
  );
  results.sections.accept = r;
  targets.push(...r.rows.filter((x) => x.verdict));
  if (dir) {
    printProfile(
      dir,
      'CPU profile of the real server (warm-up and measured rounds; idle while the others run)',
    );
    console.log('\nAccept path in-process, one call at a time (no sockets):');
    const breakdown = await acceptBreakdown({ n: quick ? 1000 : 3000 });
    for (const b of breakdown) console.log(`  ${b.text}`);
    results.sections.acceptBreakdown = breakdown;
    console.log('\nThe intake transaction alone (SQLite), as served and with two changes:');
    const intake = await sqliteIntake({ n: quick ? 2000 : 10_000 });
    for (const i of intake) console.log(`  ${i.text}`);
    results.sections.sqliteIntake = intake;
    console.log('');
  }
}

if (wants('e2e')) {
  const dir = profileDir('e2e');
  const r = await benchEndToEnd(quick ? { count: 200, samples: 10, profileDir: dir } : { profileDir: dir });
  console.log(
    `2. End to end: \`rds-provisioner serve\` with its default 4 workers; ${r.batch.count} POSTs (${r.batch.postConcurrency} at a time, ` +
      `all accepted after ${(r.batch.acceptedMs / 1000).toFixed(1)} s), clock from the first POST to the last pr_open the server recorded ` +
      `(${r.batch.polls} completion polls); idle: ${r.idle.samples} sequential requests, status polled every 5 ms.`,
  );
  console.log(
    `   baseline = the same git work with plain git commands (hash-object -w, mktree x3, commit-tree, update-ref), ` +
      `${r.naive.count} requests ${r.naive.concurrency} at a time, and sequentially for latency.`,
  );
  printTable('2. end to end', r.rows);
  console.log(
    `   idle, as the server recorded it (created -> pr_open): p50 ${r.idle.serverP50.toFixed(0)} ms\n`,
  );
  results.sections.e2e = r;
  targets.push(...r.rows.filter((x) => x.verdict));
  if (dir) printProfile(dir, 'CPU profile of the server (warm-up, batch, idle samples)');
}

if (wants('repo')) {
  const r = await benchRepoSize(quick ? { large: 2000, count: 50, warmup: 10 } : {});
  console.log(
    `3. Repository size: processRequest (dist/app/process-request.js) on the local runtime's adapters, ${r.count} requests per ` +
      `repository after ${r.warmup} warm-up, alternating between the repositories; main holds ${r.small.databases} and ` +
      `${r.large.databases.toLocaleString('en-US')} rendered files in terraform/live (written by git fast-import in ` +
      `${(r.large.setupMs / 1000).toFixed(1)} s).`,
  );
  printTable('3. repository size', r.rows);
  printSteps(
    'mean ms per request by step (small -> large); indented: inside the git host steps above:',
    r.small.steps,
    r.large.steps,
    ['store.', 'git.', '  '],
  );
  console.log('');
  results.sections.repo = r;
  targets.push(...r.rows.filter((x) => x.verdict));
}

if (wants('github')) {
  const r = await benchGitHubBurst(quick ? { count: 200, timeScale: 400 } : {});
  const s = r.setup;
  const minute = 60 / s.timeScale;
  const hour = 3600 / s.timeScale;
  console.log(
    `4. GitHub burst: ${s.count} requests accepted (${(s.acceptMs / 1000).toFixed(1)} s, ${s.acceptReads} reads, not timed), then the ` +
      `WorkerLoop, ${s.concurrency} at a time, through GitHubHost and createGitHubClient (dist/) against the GitHub simulator ` +
      `(test/support/github-simulator.ts, in process, responses not validated) at time scale ${s.timeScale}: a GitHub minute is ` +
      `${minute.toFixed(3)} s, an hour ${hour.toFixed(2)} s; ${s.limits.perMinute} content-creating requests per minute, ` +
      `${s.limits.perHour} per hour, 1 s between mutations.`,
  );
  console.log(
    `   baseline = the floor those limits allow for ${s.count} x 3 mutations (branch, file, pull request): first mutation ` +
      `start -> last mutation start on the earliest schedule, ${(r.floorMs / 1000).toFixed(2)} s (${((r.floorMs * s.timeScale) / 1000).toFixed(0)} GitHub s). ` +
      'Policy: the packaged one without pull request labels (they would add a mutation each).',
  );
  printTable('4. github burst', r.rows);
  const sl = r.slack;
  const ms = (x) => `${x.toFixed(0)} ms`;
  if (sl) {
    const each = (x) => (x / Math.max(1, sl.spacing.steps)).toFixed(2);
    console.log(
      `   past the floor: ${ms(r.wallMs - r.floorMs)}. On the chain of binding limits (client clock, mutations span ${ms(sl.spanMs)}): ` +
        `${sl.hour.steps} hourly-window step(s) ${ms(sl.hour.slackMs)} late in all, ${sl.minute.steps} per-minute ${ms(sl.minute.slackMs)}, ` +
        `${sl.spacing.steps} spacing steps ${ms(sl.spacing.slackMs)}; last mutation -> last pr_open ${ms(r.tailMs)}.`,
    );
    console.log(
      `   a spacing step, mean ms (gap ${sl.gapMs.toFixed(2)}): round trip ${each(sl.spacing.roundTrip)}, answer -> call returns ` +
        `${each(sl.spacing.unwind)}, lane idle ${each(sl.spacing.idle)}, next call's plugins before the pacer ${each(sl.spacing.plugins)}, ` +
        `its wait in the pacer ${each(sl.spacing.pacer)}; slack ${each(sl.spacing.slackMs)} per step.`,
    );
  }
  console.log(
    `   client: ${r.client.mutations} mutation and ${r.client.reads} read attempts, ${r.client.rateLimited} rate-limited, ` +
      `${r.client.pauses} pauses, mutations held ${(r.client.writeWaitMs / 1000).toFixed(1)} s by the pacer; attempts ${r.attempts} ` +
      `for ${s.count} requests; base head reads ${r.baseHeadReads}, unattributed reads ${r.unattributedReads}; most content in flight ${r.maxInFlightContent}.`,
  );
  console.log(
    `   routes: ${Object.entries(r.byRoute)
      .map(([route, n]) => `${route.replace(/\/repos\/\{owner\}\/\{repo\}/, '')} ${n}`)
      .join(', ')}`,
  );
  for (const [line, n] of Object.entries(r.log)) console.log(`   log ${line} x${n}`);
  for (const v of r.violations) console.log(`   violation: ${v.kind} #${v.n} ${v.method} ${v.path}`);
  for (const p of r.problems) console.log(`   problem: ${p}`);
  console.log('');
  results.sections.github = r;
  targets.push(...r.rows.filter((x) => x.verdict));
}

if (wants('lambda')) {
  const r = await benchLambda(quick ? { runs: 5 } : {});
  const pin = canPin ? `, each process pinned to CPU ${r.cpu}` : '';
  console.log(
    `5. Lambda bundles: \`npm run build:lambda\` (scripts/build-lambda.mjs, which \`sam build\` runs through the Makefile: ` +
      `esbuild, minified ESM for node20 split into a small handler module and the chunks it loads on its first event, ` +
      `source maps); size = every chunk; cold init = a fresh node process importing the handler module (not invoking it), ` +
      `median of ${r.runs}, without NODE_OPTIONS as the template runs them (and once more with --enable-source-maps); ` +
      `baseline = bare \`node -e ''\`, ` +
      `interleaved in the same run${pin}.`,
  );
  console.log(
    `   cold request: a fresh process imports the api handler and is invoked ${3} times in a row with API Gateway events ` +
      `(bench/lambda-invoke.mjs) against moto (the stack's table, topic, queues and secrets from template.yaml) and the ` +
      `GitHub simulator; spawn -> first answer beside a bare node spawned the same way, and the first invocation beside ` +
      `the third (warm).`,
  );
  printTable('5. lambda', r.rows);
  for (const f of r.functions) {
    console.log(
      `   ${f.name}: handler module ${(f.entryBytes / 1024).toFixed(1)} KiB + ${f.chunks} chunks, gzip ${(f.gzipBytes / 1024).toFixed(0)} KiB, ` +
        `maps ${(f.mapBytes / 1024).toFixed(0)} KiB; import alone ${f.importMs.toFixed(1)} ms ` +
        `(${f.importSourceMapsMs.toFixed(1)} ms with --enable-source-maps; whole process ` +
        `${f.wallSourceMapsMs.toFixed(0)} ms); esbuild ${f.buildMs} ms`,
    );
  }
  console.log(
    `   reference: node with an empty ES module script (\`--input-type=module -e\`, the ES module loader's start, ` +
      `which every .mjs handler pays) ${r.bareModuleMs.toFixed(0)} ms, ${(r.bareModuleMs / r.bareMs).toFixed(2)} x bare`,
  );
  for (const q of r.requests) {
    const v = q.sourceMaps;
    console.log(
      `   api ${q.route} with --enable-source-maps: spawn -> first answer ${v.answeredMs.toFixed(0)} ms, ` +
        `first invocation ${v.firstMs.toFixed(1)} ms, warm ${v.warmMs.toFixed(1)} ms`,
    );
  }
  console.log('');
  results.sections.lambda = r;
  targets.push(...r.rows.filter((x) => x.verdict));
}

if (wants('roots')) {
  const r = await benchRoots(
    quick ? { large: 2000, iterations: 10, warmup: 2, minimum: 5, seconds: 20 } : {},
  );
  console.log(
    `6. Roots at fleet scale: one pull request that adds a database, in a per-database repository of ` +
      `${r.large.roots.toLocaleString('en-US')} roots (terraform/live/<env>/<db>/main.tf, written by git fast-import in ` +
      `${(r.large.setupMs / 1000).toFixed(1)} s) against one of ${r.small.roots}; ${r.measured} per repository after ` +
      `${r.warmup} warm-up, alternating. In-process from dist/: find = what \`rds-provisioner changed-roots\` does ` +
      `(resolveCommit x2, changedPaths, filesAt, changedRoots) on the pull request's branch; render = resolveRequest, ` +
      `renderTerraform, renderPullRequest (mean of ${r.renderRepeat}); process = processRequest on the local runtime's adapters.`,
  );
  printTable('6. roots', r.rows);
  printSteps('find, median ms by part (small -> large):', r.small.findParts, r.large.findParts);
  printSteps(
    'process, mean ms per request by git host step (small -> large):',
    r.small.processSteps,
    r.large.processSteps,
  );
  console.log(
    `   files listed at the head: ${r.small.listedAtHead} -> ${r.large.listedAtHead.toLocaleString('en-US')}\n`,
  );
  results.sections.roots = r;
  targets.push(...r.rows.filter((x) => x.verdict));
}

if (wants('lifecycle')) {
  const r = await benchLifecycle(
    quick ? { large: 2000, gets: 60, databases: 100, requests: 15, warmup: 2 } : {},
  );
  const inv = r.inventory;
  const w = r.worker;
  console.log(
    `7. Day-2 lifecycle (load average at section start ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}). Inventory: two ` +
      `\`rds-provisioner serve --workers 0\`${inv.pinned ? ' (both on CPU 1)' : ''}, each on its own repository whose main holds ` +
      `${inv.small.databases} or ${inv.large.databases.toLocaleString('en-US')} rendered databases (git fast-import, ` +
      `${(inv.large.setupMs / 1000).toFixed(1)} s), every one listed back page by page as managed: generated; after a cold ` +
      `first GET and one warm-up GET per query, ${inv.gets} rounds of the two GETs per server, alternating (ABBA), ` +
      'timed to the last byte by a client in the bench process.',
  );
  console.log(
    `   Worker: processRequest (dist/) on the local runtime's adapters, a repository of ${w.databases} databases on main; ` +
      `${w.requests} creations (acceptRequest) and ${w.requests} changes of a database on main (requestChange, {size}) ` +
      `after ${w.warmup} of each, alternating.`,
  );
  printTable('7. lifecycle', r.rows);
  printSteps('worker, mean ms per request by step (creation -> change):', w.create.steps, w.change.steps, [
    'store.',
    'git.',
  ]);
  console.log('');
  results.sections.lifecycle = r;
  targets.push(...r.rows.filter((x) => x.verdict));
}

if (wants('reports')) {
  const r = await benchReports(quick ? { rounds: 10, warmup: 2 } : {});
  console.log(
    `8. Reports from CI (load average at section start ${loadavg()
      .map((n) => n.toFixed(2))
      .join(
        ' ',
      )}). \`rds-provisioner serve\`${r.pinned ? ' (on CPU 1)' : ''} with one request's pull request open; ` +
      `a plan report of ${r.databases} databases (${r.resourceChanges.toLocaleString('en-US')} resource changes, ` +
      `${(r.bytes / 1024 / 1024).toFixed(1)} MiB: Terraform's plan of an Aurora cluster against moto, trimmed by the reporter, ` +
      `once per database) posted ${r.rounds} times after ${r.warmup}, two variants alternating so each is recorded and ` +
      'the comment edited, timed to the last byte of the answer; beside it JSON.parse of the same document in the bench ' +
      `process, alternating (ABBA). Server CPU ${fmt(r.serverCpuMsPerReport)} ms per report.`,
  );
  printTable('8. reports', r.rows);
  console.log('');
  results.sections.reports = r;
  targets.push(...r.rows.filter((x) => x.verdict));
}

if (wants('jwt')) {
  const r = await benchJwt(quick ? { requests: 500, rounds: 1, warmup: 100, authCalls: 300 } : {});
  const s = r.setup;
  console.log(
    `9. Bearer JWTs (load average at section start ${loadavg()
      .map((n) => n.toFixed(2))
      .join(
        ' ',
      )}). POST /provision on \`rds-provisioner serve --workers 0\` (SQLite) with RDS_PROVISIONER_OIDC_ISSUER ` +
      `and _AUDIENCE set to the tests' OIDC provider (discovery and JWKS on loopback, in the bench process): a JWT ` +
      `(RS256) against the same server's static personal token (looked up by digest in SQLite ` +
      `on every call), autocannon with ${s.connections} connections, ${s.rounds} round(s) of ${s.requests} requests per ` +
      `credential after ${s.warmup} each, interleaved with the order reversed every other round; ${s.pinned}.`,
  );
  console.log(
    `   JWKS fetched ${r.jwks.fetches} time(s) in all, ${r.jwks.duringRounds} during the measured rounds; discovery ${r.discoveryFetches}.`,
  );
  console.log(
    '   authenticate alone: the authenticators called in the bench process one call at a time, interleaved: the token ' +
      'over SQLite; a JWT remembered (it verified within the last minute, so its signature is not checked again) and ' +
      'verified every call (as a JWT seen for the first time), RS256 and ES256.',
  );
  printTable('9. jwt', r.rows);
  console.log(
    `   per round: ${r.rounds.map((x) => `${x.name} ${x.rps}/s p50 ${x.p50} ms cpu ${x.cpuPerRequestMs} ms`).join('; ')}\n`,
  );
  results.sections.jwt = r;
  targets.push(...r.rows.filter((x) => x.verdict));
}

console.log('Summary of the targets:');
printTable('target', targets);
const seconds = (Date.now() - started) / 1000;
console.log(
  `\n${seconds.toFixed(0)} s in all${quick ? ' (--quick: not for BENCHMARKS.md)' : ''}${canPin ? '' : '; not pinned (no taskset)'}.`,
);
results.seconds = seconds;
results.targets = targets;
const kind =
  only || quick || profile
    ? `-${[...(only ?? []), quick && 'quick', profile && 'profile'].filter(Boolean).join('-')}`
    : '';
const file = join(outDir, `latest${kind}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${file}`);
