/**
 * A user's command run through the shell, bounded: its standard output kept up to a limit, the tail of
 * its standard error, a timeout. It runs in a process group of its own, so stopping it stops what it
 * started too (terraform under a wrapper script), not just the shell.
 */
import { spawn } from 'node:child_process';

export interface ShellCommandOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Standard output past this many bytes is dropped, and the result says so. */
  maxStdoutBytes: number;
  /** How much of the end of standard error is kept. */
  stderrTailBytes: number;
}

export interface ShellCommandResult {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Stopped for passing the timeout. */
  timedOut: boolean;
  /** Stopped by stop(). */
  stopped: boolean;
  /** The command could not be started at all (no shell). */
  startError: string | null;
  stdout: Buffer;
  /** Standard output passed maxStdoutBytes: `stdout` holds its first bytes only. */
  stdoutOverflow: boolean;
  stderrTail: string;
}

export interface RunningShellCommand {
  result: Promise<ShellCommandResult>;
  /** Stops the command and its process group (TERM, then KILL after a grace period). */
  stop(): void;
}

/** After TERM, how long the command has to exit before it is killed. */
const KILL_AFTER_MS = 10_000;
/** After the shell exits, how long its leftovers may hold the output open before they are killed. */
const LEFTOVER_GRACE_MS = 2_000;

export function runShellCommand(options: ShellCommandOptions): RunningShellCommand {
  const child = spawn(options.command, {
    shell: true,
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: signals reach everything it started.
    detached: true,
  });
  const stdout: Buffer[] = [];
  let stdoutBytes = 0;
  let stdoutOverflow = false;
  let stderr = Buffer.alloc(0);
  let timedOut = false;
  let stopped = false;
  let killTimer: NodeJS.Timeout | undefined;

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  const terminate = () => {
    signalGroup('SIGTERM');
    killTimer ??= setTimeout(() => signalGroup('SIGKILL'), KILL_AFTER_MS);
  };

  child.stdout.on('data', (chunk: Buffer) => {
    const room = options.maxStdoutBytes - stdoutBytes;
    if (chunk.length > room) stdoutOverflow = true;
    if (room > 0) stdout.push(chunk.subarray(0, room));
    stdoutBytes += Math.min(chunk.length, Math.max(room, 0));
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = Buffer.concat([stderr, chunk]);
    if (stderr.length > options.stderrTailBytes) stderr = stderr.subarray(-options.stderrTailBytes);
  });

  const timeout = setTimeout(() => {
    timedOut = true;
    terminate();
  }, options.timeoutMs);
  // A background process the command left behind would hold the pipes open: once the shell is gone,
  // what is left of its group gets a moment, then goes.
  child.once('exit', () => {
    setTimeout(() => signalGroup('SIGKILL'), LEFTOVER_GRACE_MS).unref();
  });

  const result = new Promise<ShellCommandResult>((resolve) => {
    let startError: string | null = null;
    child.once('error', (error) => {
      startError = error.message;
      // Never started: no 'close' is coming.
      if (child.pid === undefined) child.emit('close', null, null);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      resolve({
        code,
        signal,
        timedOut,
        stopped,
        startError,
        stdout: Buffer.concat(stdout),
        stdoutOverflow,
        // Cut on a byte boundary: a broken first character is dropped, not shown as garbage.
        stderrTail: stderr.toString('utf8').replace(/^\uFFFD+/, ''),
      });
    });
  });

  return {
    result,
    stop: () => {
      stopped = true;
      terminate();
    },
  };
}
