/**
 * checkov (pinned in tools/requirements.txt, installed into .venv by scripts/venv.sh), run the way CI runs
 * it: terraform framework, local modules followed, JSON report.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './cli.js';

const execFileAsync = promisify(execFile);

export const CHECKOV = join(ROOT, '.venv', 'bin', 'checkov');

export interface CheckResult {
  check_id: string;
  check_name: string;
  resource: string;
  file_path: string;
  /** For a skipped check, suppress_comment holds the reason given in the skip comment. */
  check_result?: { result: string; suppress_comment?: string | null };
}

export interface Report {
  passed: CheckResult[];
  failed: CheckResult[];
  skipped: CheckResult[];
  parsingErrors: string[];
}

interface CheckovJson {
  check_type?: string;
  results?: {
    passed_checks?: CheckResult[];
    failed_checks?: CheckResult[];
    skipped_checks?: CheckResult[];
    parsing_errors?: string[];
  };
}

/** Runs checkov on a directory (-d) or a file (-f) and returns its terraform report. */
export async function checkov(target: ['-d' | '-f', string], cwd = ROOT): Promise<Report> {
  if (!existsSync(CHECKOV)) {
    throw new Error(`${CHECKOV} is missing: run \`bash scripts/venv.sh\` first`);
  }
  const args = [
    ...target,
    '--framework',
    'terraform',
    '--download-external-modules',
    'false',
    '--skip-download',
    '--output',
    'json',
  ];
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(CHECKOV, args, { cwd, maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    // checkov exits 1 when a check fails, with the report on stdout; anything else is a crash.
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    if (failure.code !== 1 || !failure.stdout) {
      throw new Error(`checkov ${args.join(' ')} failed (exit ${failure.code}): ${failure.stderr ?? error}`);
    }
    stdout = failure.stdout;
  }
  const parsed = JSON.parse(stdout) as CheckovJson | CheckovJson[];
  // A list when several frameworks report; a bare summary without results when nothing was found.
  const report = Array.isArray(parsed) ? parsed.find((r) => r.check_type === 'terraform') : parsed;
  const results = report?.results ?? {};
  return {
    passed: results.passed_checks ?? [],
    failed: results.failed_checks ?? [],
    skipped: results.skipped_checks ?? [],
    parsingErrors: results.parsing_errors ?? [],
  };
}

export const describeCheck = (c: CheckResult) =>
  `${c.check_id} ${c.resource} (${c.check_name}) in ${c.file_path}`;
