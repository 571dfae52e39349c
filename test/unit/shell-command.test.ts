import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runShellCommand, type ShellCommandOptions } from '../../src/runtime/shell-command.js';
import { processAlive } from '../support/process-alive.js';

/** A real shell, real processes: the bounds that keep a user's command from holding the server. */
const run = (command: string, options: Partial<ShellCommandOptions> = {}) =>
  runShellCommand({
    command,
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeoutMs: 30_000,
    maxStdoutBytes: 1024 * 1024,
    stderrTailBytes: 1024,
    ...options,
  });

describe('runShellCommand', () => {
  it('gives the exit code, standard output, and standard error', async () => {
    const result = await run('echo out; echo err >&2; exit 7').result;
    expect(result).toMatchObject({
      code: 7,
      signal: null,
      timedOut: false,
      stopped: false,
      startError: null,
    });
    expect(result.stdout.toString()).toBe('out\n');
    expect(result.stderrTail).toBe('err\n');
  });

  it('keeps standard output up to its limit and says it was cut', async () => {
    const result = await run('head -c 3000000 /dev/zero').result;
    expect(result.code).toBe(0);
    expect(result.stdoutOverflow).toBe(true);
    expect(result.stdout.length).toBe(1024 * 1024);
  });

  it('keeps the end of standard error only', async () => {
    const result = await run('head -c 200000 /dev/zero | tr "\\0" x >&2; echo " the end" >&2').result;
    expect(result.stderrTail.length).toBeLessThanOrEqual(1024);
    expect(result.stderrTail.endsWith('x the end\n')).toBe(true);
  });

  it('stops a command past its timeout, and what it started with it', async () => {
    const started = Date.now();
    const result = await run('sleep 60 & echo $!; wait', { timeoutMs: 500 }).result;
    expect(result.timedOut).toBe(true);
    expect(result.code === null ? result.signal : result.code).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(20_000);
    const child = Number(result.stdout.toString().trim());
    expect(child).toBeGreaterThan(0);
    await expect.poll(() => processAlive(child), { timeout: 10_000 }).toBe(false);
  });

  it('stops on request', async () => {
    const command = run('sleep 60');
    command.stop();
    const result = await command.result;
    expect(result).toMatchObject({ stopped: true, timedOut: false, signal: 'SIGTERM' });
  });

  it('does not wait for a background process the command left behind', async () => {
    const result = await run('sleep 60 > /dev/null 2>&1 & echo $!').result;
    expect(result.code).toBe(0);
    const child = Number(result.stdout.toString().trim());
    // Its output was let go, so the result came; what it left behind goes too.
    await expect.poll(() => processAlive(child), { timeout: 10_000 }).toBe(false);
  });

  it('names why a command could not start', async () => {
    const result = await run('true', { cwd: '/nonexistent/rdsp-after-merge' }).result;
    expect(result.startError).toMatch(/ENOENT/);
    expect(result.code).toBeNull();
  });
});
