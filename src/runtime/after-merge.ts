/**
 * `serve --after-merge CMD`: the local runtime's stand-in for CI's apply job. After a local merge, for
 * the requests merged as that commit: report the apply started, run the user's command (their own
 * `terraform apply` wrapper) in a fresh checkout of the merge commit, and report its outcome through
 * the same use case as POST /reports/apply: exit 0 with `terraform show -json` of the state on standard
 * output → succeeded; anything else → failed, with the tail of standard error as Terraform's log.
 *
 * One command at a time, in merge order, in the background: a merge's answer never waits for it, and
 * the HTTP server never blocks on it. A merge finished at start-up (after a crash) runs nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedRootsBetween, resolveCommit } from '../adapters/local/git-changes.js';
import { checkoutCommit } from '../adapters/local/git-checkout.js';
import type { AppContext } from '../app/context.js';
import { type ApplyReportInput, reportApply } from '../app/pipeline-reports.js';
import { forReport } from '../domain/terraform-json.js';
import type { PullRequestReview } from '../ports.js';
import { type RunningShellCommand, runShellCommand, type ShellCommandResult } from './shell-command.js';

export interface AfterMergeSettings {
  /** Run through the shell. */
  command: string;
  /** A command running longer is stopped, with what it started, and the apply reported failed. */
  timeoutMs: number;
}

export interface AfterMergeDeps {
  ctx: AppContext;
  /** The local git host's repository: the merge commits are there. */
  repository: string;
  /** The API's URL, given to the command (never a token). */
  apiUrl: string;
}

/** `terraform show -json` of a local fleet's state, before any part is dropped. */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;
/** The end of standard error kept as the log: where Terraform's errors are (the service's log limit). */
export const LOG_TAIL_BYTES = 64 * 1024;
/** How long a merge may take to be recorded on its requests before the command is given up. */
const RECORD_WAIT_MS = 30_000;
const RECORD_POLL_MS = 50;

/** The service's own credentials: never handed to the user's command. */
const WITHHELD_ENV = ['RDS_PROVISIONER_API_TOKEN', 'RDS_PROVISIONER_PIPELINE_TOKEN', 'GITHUB_WEBHOOK_SECRET'];

export class AfterMerge {
  /** Merge commits waiting, in merge order. */
  private readonly queue: string[] = [];
  /** Every commit taken in this process: a replayed merge answer runs nothing twice. */
  private readonly taken = new Set<string>();
  private draining: Promise<void> | undefined;
  private current: RunningShellCommand | undefined;
  private stopping = false;

  constructor(
    private readonly settings: AfterMergeSettings,
    private readonly deps: AfterMergeDeps,
  ) {}

  /**
   * The review routes' pull requests, with this runner after each merge. Merges into the base are
   * serialised by the host, so the order they resolve in is the merge order.
   */
  review(inner: PullRequestReview): PullRequestReview {
    return {
      list: () => inner.list(),
      get: (number) => inner.get(number),
      diff: (number) => inner.diff(number),
      close: (number, at) => inner.close(number, at),
      finishInterruptedMerges: () => inner.finishInterruptedMerges(),
      merge: async (number, at) => {
        const pr = await inner.merge(number, at);
        if (pr.requestId && pr.mergeCommit) this.enqueue(pr.mergeCommit);
        return pr;
      },
    };
  }

  enqueue(commit: string): void {
    if (this.stopping || this.taken.has(commit)) return;
    this.taken.add(commit);
    this.queue.push(commit);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** No new command; the running one is stopped and reported failed; the waiting ones stay merged. */
  async stop(): Promise<void> {
    this.stopping = true;
    const waiting = this.queue.splice(0);
    if (waiting.length > 0)
      this.deps.ctx.logger.warn('after-merge: not run, the server is stopping', { commits: waiting });
    this.current?.stop();
    await this.draining;
  }

  private async drain(): Promise<void> {
    for (let commit = this.queue.shift(); commit; commit = this.queue.shift()) {
      try {
        await this.apply(commit);
      } catch (error) {
        this.deps.ctx.logger.error('after-merge: failed', {
          commit,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  private async apply(commit: string): Promise<void> {
    const { ctx } = this.deps;
    if (!(await this.recorded(commit))) {
      if (this.stopping) return;
      ctx.logger.warn('after-merge: no request recorded as merged at the commit; the command does not run', {
        commit,
      });
      return;
    }
    const started = await this.report({ commit, outcome: 'started' });
    if (started.kind === 'not_found' || started.kind === 'conflict') {
      ctx.logger.warn('after-merge: the apply is not for this server to run', {
        commit,
        reason: started.message,
      });
      return;
    }
    // Not recorded (the requests stay merged until the outcome): the command runs all the same.
    if (started.kind === 'invalid')
      ctx.logger.warn('after-merge: the start of the apply was not recorded', {
        commit,
        issues: started.issues,
      });
    const began = Date.now();
    let result: ShellCommandResult;
    try {
      result = await this.runInCheckout(commit);
    } catch (error) {
      // No checkout, no command: the apply that was reported started did not happen.
      const why = error instanceof Error ? error.message : String(error);
      await this.report({
        commit,
        outcome: 'failed',
        log: failedLog('', `did not run: ${why}`),
      });
      ctx.logger.error('after-merge: the command did not run', { commit, error: why });
      return;
    }
    const outcome = outcomeOf(result, this.settings.timeoutMs);
    let reported = await this.report({ commit, ...outcome });
    // Standard output that is not a state the service takes: the apply is reported failed, saying why.
    if (reported.kind === 'invalid' && outcome.outcome === 'succeeded')
      reported = await this.report({
        commit,
        outcome: 'failed',
        log: failedLog(
          result.stderrTail,
          `printed a state the service does not take: ${reported.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        ),
      });
    ctx.logger.info('after-merge: command done', {
      commit,
      outcome: reported.kind === 'ok' ? outcome.outcome : `not recorded (${reported.kind})`,
      exit_code: result.code,
      signal: result.signal,
      timed_out: result.timedOut,
      duration_ms: Date.now() - began,
    });
  }

  /** Whether the merge is on its requests yet: the review route records it right after the merge. */
  private async recorded(commit: string): Promise<boolean> {
    const deadline = Date.now() + RECORD_WAIT_MS;
    while (!this.stopping) {
      if ((await this.deps.ctx.store.mergedAt(commit)).length > 0) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, RECORD_POLL_MS));
    }
    return false;
  }

  private report(input: ApplyReportInput) {
    return reportApply(this.deps.ctx, input);
  }

  /** The command in a checkout of the commit made for it, removed afterwards whatever happened. */
  private async runInCheckout(commit: string): Promise<ShellCommandResult> {
    const { repository, apiUrl, ctx } = this.deps;
    const scratch = mkdtempSync(join(tmpdir(), 'rdsp-after-merge-'));
    try {
      const checkout = join(scratch, 'checkout');
      await checkoutCommit(repository, commit, checkout);
      const roots = await this.rootsOf(commit);
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const name of WITHHELD_ENV) delete env[name];
      Object.assign(env, {
        RDS_PROVISIONER_URL: apiUrl,
        RDS_PROVISIONER_COMMIT: commit,
        RDS_PROVISIONER_ROOTS: roots.apply.join(' '),
        RDS_PROVISIONER_DESTROY_ROOTS: roots.destroy.join(' '),
      });
      this.current = runShellCommand({
        command: this.settings.command,
        cwd: checkout,
        env,
        timeoutMs: this.settings.timeoutMs,
        maxStdoutBytes: MAX_STATE_BYTES,
        stderrTailBytes: LOG_TAIL_BYTES,
      });
      if (this.stopping) this.current.stop();
      ctx.logger.info('after-merge: command started', { commit, roots: roots.apply });
      return await this.current.result;
    } finally {
      this.current = undefined;
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  /**
   * The Terraform roots the merge touched (from its first parent, the base before it), as `changed-roots`
   * finds them; none when they cannot be worked out (the command gets the whole checkout anyway).
   */
  private async rootsOf(commit: string): Promise<{ apply: string[]; destroy: string[] }> {
    const { repository, ctx } = this.deps;
    try {
      const parent = await resolveCommit(repository, `${commit}^1`);
      const { policy } = ctx.policy;
      const changed =
        parent === null
          ? null
          : await changedRootsBetween(
              repository,
              policy.git,
              Object.keys(policy.environments),
              parent,
              commit,
            );
      return {
        apply: changed?.plan.map((r) => r.root) ?? [],
        destroy: changed?.destroy.map((r) => r.root) ?? [],
      };
    } catch (error) {
      ctx.logger.warn('after-merge: the roots the merge touched are not known', {
        commit,
        error: error instanceof Error ? error.message : String(error),
      });
      return { apply: [], destroy: [] };
    }
  }
}

type Outcome = Pick<ApplyReportInput, 'outcome' | 'state' | 'log'>;

/**
 * The log of a failed apply: the end of the command's standard error, then why it failed, stated as
 * Terraform's plain output states an error, so the reason read from the log has it after whatever
 * Terraform said.
 */
const failedLog = (stderrTail: string, why: string) =>
  `${stderrTail}\nError: the after-merge command ${why}\n`;

/** What the command's end says about the apply. */
function outcomeOf(result: ShellCommandResult, timeoutMs: number): Outcome {
  const failed = (why: string): Outcome => ({ outcome: 'failed', log: failedLog(result.stderrTail, why) });
  if (result.startError !== null) return failed(`could not start: ${result.startError}`);
  if (result.stopped) return failed('was stopped: the server shut down while it ran');
  if (result.timedOut) return failed(`timed out after ${Math.round(timeoutMs / 1000)} s and was stopped`);
  if (result.code !== 0)
    return failed(result.signal ? `was ended by ${result.signal}` : `exited with code ${result.code}`);
  if (result.stdoutOverflow)
    return failed(`printed more than ${MAX_STATE_BYTES / (1024 * 1024)} MiB on its standard output`);
  let state: unknown;
  try {
    state = JSON.parse(result.stdout.toString('utf8'));
  } catch {
    return failed(
      'exited 0, but its standard output is not JSON: it must print `terraform show -json` of the state after the apply',
    );
  }
  return { outcome: 'succeeded', state: forReport(state) as Record<string, unknown> };
}
