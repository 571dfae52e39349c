/**
 * schemathesis (pinned in tools/requirements.txt, installed into .venv by scripts/venv.sh) against the real
 * server's /openapi.json: positive and negative data from the document itself, every phase (examples,
 * coverage, fuzzing, stateful), and the checks that together mean "no 5xx, and every response is one the
 * document describes": status code, content type, headers and body.
 *
 * The runs are reproducible (fixed seed, no example database) and bounded (examples per operation, a
 * kill timeout). Their NDJSON event stream is parsed here: every call, with its operation and its
 * response, so a run that exercised nothing, or skipped an operation, fails like one that found a bug.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { personalToken } from '../support/principals.js';
import { api, type RunningServer, startServer, tempDir, waitFor } from '../support/server.js';

const SCHEMATHESIS = join(ROOT, '.venv', 'bin', 'schemathesis');
/** Fixed, so a run can be replayed; RDSP_SCHEMATHESIS_SEED picks another to explore. */
const SEED = Number(process.env.RDSP_SCHEMATHESIS_SEED ?? 20261126);
/** Hard bound for one schemathesis run, killed after it; here a run takes 10 to 35 s on 2 cores. */
const RUN_TIMEOUT_MS = 90_000;
const RESPONSE_CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'response_headers_conformance',
];
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

interface StRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  seconds: number;
  events: Record<string, unknown>[];
  report: JsonReport;
}

interface JsonReport {
  exit_code?: number;
  operations?: { total: number; selected: number; tested: number; errored: number; skipped: number };
  errors?: unknown[];
  failures?: unknown[];
}

interface RecordedCase {
  value: { method: string; path: string; meta?: { generation?: { mode?: string } } };
}
interface RecordedCheck {
  name: string;
  status: string;
  failure_info?: { failure?: { operation?: string; code?: string; title?: string; message?: string } };
}
interface RecordedInteraction {
  request: { method: string; uri: string };
  response: { status_code: number; content?: { $base64?: string } } | null;
}
interface ScenarioFinished {
  phase: string;
  recorder: {
    label: string;
    cases?: Record<string, RecordedCase>;
    checks?: Record<string, RecordedCheck[]>;
    interactions?: Record<string, RecordedInteraction>;
  };
}

interface Call {
  /** `METHOD /path/{template}` as schemathesis labels it; the method may be one the document lacks. */
  operation: string;
  path: string;
  mode: string;
  status: number | null;
}

/** Only the pipeline's credential reaches these; the requesters' token gets 401 there by design. */
const REPORTS = '^/reports/';

function runSchemathesis(
  url: string,
  token: string,
  checks: string[],
  maxExamples: number,
  select: string[] = [],
): Promise<StRun> {
  const dir = tempDir('schemathesis');
  const reportDir = join(dir, 'report');
  const args = [
    'run',
    `${url}/openapi.json`,
    '--header',
    `Authorization: Bearer ${token}`,
    '--checks',
    checks.join(','),
    '--mode',
    'all',
    '--seed',
    String(SEED),
    '--max-examples',
    String(maxExamples),
    // One worker: with the fixed seed, the same calls in the same order, so a failure replays.
    '--workers',
    '1',
    '--request-timeout',
    '10',
    '--generation-database',
    'none',
    '--no-color',
    '--report',
    'ndjson,json',
    '--report-dir',
    reportDir,
    ...select,
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    // cwd: a temp dir, so schemathesis' own cache (.schemathesis/, .hypothesis/) stays out of the clone.
    execFile(
      SCHEMATHESIS,
      args,
      { cwd: dir, timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const files = existsSync(reportDir) ? readdirSync(reportDir) : [];
        const ndjson = files.find((f) => f.endsWith('.ndjson'));
        const json = files.find((f) => f.endsWith('.json'));
        const events = ndjson
          ? readFileSync(join(reportDir, ndjson), 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((line) => JSON.parse(line) as Record<string, unknown>)
          : [];
        const report = json ? (JSON.parse(readFileSync(join(reportDir, json), 'utf8')) as JsonReport) : {};
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          signal: error?.signal ?? null,
          stdout,
          stderr,
          seconds: (Date.now() - started) / 1000,
          events,
          report,
        });
      },
    );
  });
}

const scenarios = (run: StRun) =>
  run.events.flatMap((e) => (e.ScenarioFinished ? [e.ScenarioFinished as ScenarioFinished] : []));

/** Every HTTP call schemathesis made, from the recorded interactions. */
function calls(run: StRun): Call[] {
  return scenarios(run).flatMap(({ recorder }) =>
    Object.entries(recorder.interactions ?? {}).map(([id, interaction]) => {
      const value = recorder.cases?.[id]?.value;
      const method = value?.method ?? interaction.request.method;
      const path = value?.path ?? new URL(interaction.request.uri).pathname;
      return {
        operation: `${method.toUpperCase()} ${path}`,
        path,
        mode: value?.meta?.generation?.mode ?? '?',
        status: interaction.response?.status_code ?? null,
      };
    }),
  );
}

const clip = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length})` : text;

/** Each failed check with the request and the response behind it, for the assertion message. */
function failures(run: StRun): string[] {
  const out: string[] = [];
  for (const { recorder } of scenarios(run)) {
    for (const [id, checks] of Object.entries(recorder.checks ?? {})) {
      for (const check of checks) {
        if (check.status === 'success' || check.status === 'skip') continue;
        const failure = check.failure_info?.failure ?? {};
        const interaction = recorder.interactions?.[id];
        const body = interaction?.response?.content?.$base64
          ? Buffer.from(interaction.response.content.$base64, 'base64').toString('utf8')
          : '';
        out.push(
          [
            `${failure.operation ?? recorder.label}: ${check.name} [${check.status}] ${failure.code ?? ''} ${failure.title ?? ''}`,
            `  ${clip(failure.message ?? '', 600).replaceAll('\n', '\n  ')}`,
            `  request: ${interaction ? `${interaction.request.method} ${clip(interaction.request.uri, 400)}` : '?'}`,
            `  response: ${interaction?.response?.status_code ?? 'none'} ${clip(body, 600)}`,
          ].join('\n'),
        );
      }
    }
  }
  return [...new Set(out)];
}

const tally = (list: Call[]) => {
  const byOperation = new Map<
    string,
    { calls: number; statuses: Record<string, number>; modes: Record<string, number> }
  >();
  for (const call of list) {
    const entry = byOperation.get(call.operation) ?? { calls: 0, statuses: {}, modes: {} };
    entry.calls += 1;
    entry.statuses[String(call.status)] = (entry.statuses[String(call.status)] ?? 0) + 1;
    entry.modes[call.mode] = (entry.modes[call.mode] ?? 0) + 1;
    byOperation.set(call.operation, entry);
  }
  return byOperation;
};

const summary = (run: StRun) =>
  [
    `exit ${run.code}${run.signal ? ` (${run.signal}, killed after ${RUN_TIMEOUT_MS / 1000}s)` : ''} in ${run.seconds.toFixed(1)}s`,
    clip(run.stdout.slice(Math.max(0, run.stdout.indexOf('====='))), 12_000),
    clip(run.stderr, 4_000),
  ].join('\n');

describe('schemathesis against the OpenAPI document', () => {
  let server: RunningServer;
  let operations: { key: string; path: string; secured: boolean }[];

  beforeAll(async () => {
    if (!existsSync(SCHEMATHESIS))
      throw new Error(`${SCHEMATHESIS} is missing: run \`bash scripts/venv.sh\` first`);
    server = await startServer();
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      security?: unknown[];
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({
          key: `${method.toUpperCase()} ${path}`,
          path,
          secured: (op.security ?? doc.security ?? []).length > 0,
        })),
    );
    expect(operations.length).toBeGreaterThan(0);
    // Data for the operations that read or act on existing records: three requests with their pull
    // requests (#1 to #3), so reads, merges and closes reach more than 404.
    const call = api(server);
    for (const body of [
      { db_name: 'fuzz-seed-one', engine: 'mysql', environment: 'dev' },
      { db_name: 'fuzz-seed-two', engine: 'postgres', environment: 'staging' },
      { db_name: 'fuzz-seed-three', engine: 'mariadb', environment: 'dev' },
    ]) {
      const accepted = await call('POST', '/provision', body);
      expect(accepted.status, accepted.text).toBe(202);
      await waitFor(
        () => call('GET', `/requests/${accepted.json.request_id}`),
        (r) => r.json?.status === 'pr_open',
      );
    }
  });

  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
  });

  /** Runs with a token over some operations, checking each was called and answered past authentication. */
  async function exercised(token: string, select: string[], chosen: typeof operations) {
    const run = await runSchemathesis(server.url, token, [...RESPONSE_CHECKS, 'ignored_auth'], 60, select);
    const found = failures(run);
    expect(
      found,
      `schemathesis found ${found.length} problem(s):\n${found.join('\n')}\n${summary(run)}`,
    ).toEqual([]);
    expect(run.report.failures ?? [], summary(run)).toEqual([]);
    expect(run.code, summary(run)).toBe(0);
    expect(run.report.errors ?? [], summary(run)).toEqual([]);
    expect(run.report.operations, summary(run)).toMatchObject({
      selected: chosen.length,
      tested: chosen.length,
      errored: 0,
    });

    const byOperation = tally(calls(run));
    const table = [...byOperation.entries()]
      .filter(([op]) => chosen.some((o) => o.key === op))
      .map(
        ([op, t]) =>
          `${op}: ${t.calls} calls, status ${JSON.stringify(t.statuses)}, ${JSON.stringify(t.modes)}`,
      )
      .join('\n');
    console.info(`schemathesis, ${run.seconds.toFixed(1)}s, seed ${SEED}:\n${table}`);
    for (const op of chosen) {
      const t = byOperation.get(op.key);
      expect(t?.calls ?? 0, `${op.key} was never called:\n${table}`).toBeGreaterThan(0);
      // Exercised past authentication: at least one call the API answered as itself, not with 401.
      const answered = Object.entries(t?.statuses ?? {}).filter(([s]) => s !== '401' && s !== 'null');
      expect(answered.length, `${op.key} only ever got 401 or no answer:\n${table}`).toBeGreaterThan(0);
    }
    expect(
      calls(run).filter((c) => c.status === null),
      'calls without a response',
    ).toEqual([]);
  }

  const isReport = (op: { path: string }) => new RegExp(REPORTS).test(op.path);

  it("finds no 5xx and no response outside the document, and calls every requesters' operation", async () => {
    await exercised(
      server.token,
      ['--exclude-path-regex', REPORTS],
      operations.filter((op) => !isReport(op)),
    );
  }, 120_000);

  it("with the pipeline's token, the same for every report operation", async () => {
    const reports = operations.filter(isReport);
    expect(reports.map((op) => op.key).sort()).toEqual([
      'POST /reports/apply',
      'POST /reports/drift',
      'POST /reports/plan',
    ]);
    // A pipeline token of its own: the run before may have revoked the first-start one (DELETE /tokens/{id}
    // with the ids GET /tokens lists), as an admin may.
    const pipelineToken = await personalToken(server, 'ci', 'pipeline');
    await exercised(pipelineToken, ['--include-path-regex', REPORTS], reports);
  }, 120_000);

  it('with a wrong token, every call to a secured path is refused with 401', async () => {
    const run = await runSchemathesis(server.url, 'not-the-token', RESPONSE_CHECKS, 10);
    const found = failures(run);
    expect(
      found,
      `schemathesis found ${found.length} problem(s):\n${found.join('\n')}\n${summary(run)}`,
    ).toEqual([]);
    expect(run.code, summary(run)).toBe(0);
    expect(run.report.operations, summary(run)).toMatchObject({ tested: operations.length, errored: 0 });

    const all = calls(run);
    console.info(
      `schemathesis with a wrong token, ${run.seconds.toFixed(1)}s:\n${[...tally(all).entries()]
        .filter(([op]) => operations.some((o) => o.key === op))
        .map(([op, t]) => `${op}: ${t.calls} calls, status ${JSON.stringify(t.statuses)}`)
        .join('\n')}`,
    );
    const secured = new Set(operations.filter((o) => o.secured).map((o) => o.path));
    for (const op of operations) {
      expect(all.filter((c) => c.operation === op.key).length, `${op.key} was never called`).toBeGreaterThan(
        0,
      );
    }
    // Any method on a secured path, declared or not, is refused before routing. 431 is Node's own refusal
    // of a request line or headers over 16 KiB, before the API (and its authentication) sees the request.
    const leaked = all.filter((c) => secured.has(c.path) && c.status !== 401 && c.status !== 431);
    expect(
      leaked.map((c) => `${c.operation} (${c.mode}) -> ${c.status}`),
      'secured calls not refused',
    ).toEqual([]);
    expect(all.filter((c) => secured.has(c.path)).length).toBeGreaterThan(0);
    // The public operations still answer.
    for (const op of operations.filter((o) => !o.secured)) {
      const statuses = all.filter((c) => c.operation === op.key).map((c) => c.status);
      expect(statuses, op.key).toContain(200);
    }
  }, 120_000);
});
