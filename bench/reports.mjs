// 8. The way back from CI (issue 13): the service processing a plan report of 500 databases, from request
// to answer (POST /reports/plan on the real server: read and bound the body, parse it, check it against
// Terraform's JSON format and for sensitive values, summarise it per database, record it on the request
// and edit the pull request's comment), against a bare JSON.parse of the same document in the bench
// process, measured in the same run, alternating.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forReport } from '../dist/domain/terraform-json.js';
import { canPin, cpuMs, fmt, median, now, percentile, ROOT, row, sleep, startServer } from './lib.mjs';

const TARGET = 3;
const SERVER_CPU = 1;
const FIXTURE = join(ROOT, 'test', 'fixtures', 'terraform-json', 'aurora', 'create-plan.json');

/**
 * A plan of `count` databases as the reporter sends it: the real plan of one Aurora cluster (Terraform
 * against moto), trimmed by forReport, repeated under module.db-0000 … ; an odd `variant` makes one
 * resource an update, so that each report is a new plan (recorded, the comment edited), not a replay.
 */
export function planOf(count, variant) {
  const one = forReport(JSON.parse(readFileSync(FIXTURE, 'utf8')));
  const module = one.resource_changes[0].module_address;
  const text = JSON.stringify(one.resource_changes);
  const changes = [];
  for (let i = 0; i < count; i++) {
    const name = `module.db-${String(i).padStart(4, '0')}`;
    changes.push(
      ...JSON.parse(text.replaceAll(`${module}.`, `${name}.`).replaceAll(`"${module}"`, `"${name}"`)),
    );
  }
  if (variant % 2 === 1)
    changes[0] = { ...changes[0], change: { ...changes[0].change, actions: ['update'] } };
  return {
    ...one,
    timestamp: `2026-12-06T00:00:${String(variant % 60).padStart(2, '0')}Z`,
    resource_changes: changes,
  };
}

async function post(server, token, body) {
  const start = now();
  const response = await fetch(`${server.url}/reports/plan`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  const ms = now() - start;
  if (response.status !== 200)
    throw new Error(`POST /reports/plan: ${response.status} ${text.slice(0, 500)}`);
  return { ms, answer: JSON.parse(text) };
}

/** A request with its pull request open: the report's target. */
async function openRequest(server) {
  const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
  const accepted = await fetch(`${server.url}/provision`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      db_name: 'db-0000',
      engine: 'postgres',
      environment: 'dev',
      deployment: 'aurora',
    }),
  });
  const { request_id: id } = await accepted.json();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const record = await (await fetch(`${server.url}/requests/${id}`, { headers })).json();
    if (record.status === 'pr_open') {
      const { branch, number } = record.pull_request;
      const commit = execFileSync('git', ['--git-dir', server.repo, 'rev-parse', `refs/heads/${branch}`], {
        encoding: 'utf8',
      }).trim();
      return { id, branch, number, commit };
    }
    if (Date.now() > deadline)
      throw new Error(`request ${id} did not open its pull request: ${record.status}`);
    await sleep(50);
  }
}

export async function benchReports({ databases = 500, rounds = 40, warmup = 5 } = {}) {
  const pipelineToken = randomBytes(24).toString('base64url');
  const server = await startServer({
    env: { RDS_PROVISIONER_PIPELINE_TOKEN: pipelineToken },
    ...(canPin ? { cpu: SERVER_CPU } : {}),
  });
  try {
    const target = await openRequest(server);
    const bodies = [0, 1].map((variant) =>
      JSON.stringify({
        branch: target.branch,
        pull_request: target.number,
        commit: target.commit,
        plan: planOf(databases, variant),
      }),
    );
    const documents = bodies.map((body) => JSON.stringify(JSON.parse(body).plan));
    const served = [];
    const parsed = [];
    const cpuBefore = cpuMs(server.pid);
    let last;
    for (let i = 0; i < warmup + rounds; i++) {
      const k = i % 2;
      // Alternating (ABBA by round): the baseline and the server see the same machine state.
      const order = Math.floor(i / 2) % 2 === 0 ? ['serve', 'parse'] : ['parse', 'serve'];
      for (const step of order) {
        if (step === 'serve') {
          const { ms, answer } = await post(server, pipelineToken, bodies[k]);
          if (!answer.changed) throw new Error('a report was taken as a replay: the variants must differ');
          last = answer;
          if (i >= warmup) served.push(ms);
        } else {
          const start = now();
          JSON.parse(documents[k]);
          const ms = now() - start;
          if (i >= warmup) parsed.push(ms);
        }
      }
    }
    const cpu = cpuMs(server.pid) - cpuBefore;
    if (last.plan.databases.length !== databases)
      throw new Error(`the report summarised ${last.plan.databases.length} databases, not ${databases}`);
    const figure = median(served);
    const baseline = median(parsed);
    const ratio = figure / baseline;
    return {
      databases,
      rounds,
      warmup,
      pinned: canPin,
      bytes: Buffer.byteLength(bodies[0]),
      resourceChanges: databases * (JSON.parse(bodies[0]).plan.resource_changes.length / databases),
      served: { median: figure, p90: percentile(served, 90) },
      parsed: { median: baseline, p90: percentile(parsed, 90) },
      serverCpuMsPerReport: cpu / (warmup + rounds),
      rows: [
        row(`POST /reports/plan, ${databases} databases (ms, median)`, fmt(figure), fmt(baseline), ratio, {
          ok: ratio <= TARGET,
          text: `<= ${TARGET} x JSON.parse`,
        }),
        row(
          '  p90 (ms)',
          fmt(percentile(served, 90)),
          fmt(percentile(parsed, 90)),
          percentile(served, 90) / percentile(parsed, 90),
        ),
      ],
    };
  } finally {
    await server.stop();
  }
}
