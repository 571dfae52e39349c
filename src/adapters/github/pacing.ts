/**
 * Pacing per GitHub credential, shared by every client in the process that uses it:
 *
 * - a pause that holds every request (reads too) while GitHub has said to wait: a `retry-after`, a
 *   primary limit spent (`x-ratelimit-remaining: 0` until `x-ratelimit-reset`), a secondary limit;
 * - mutations one at a time (a lane held until the response arrives), each starting at least
 *   `minWriteGapMs` after the previous one ended;
 * - content creation under `contentPerMinute` and `contentPerHour` in any sliding window, counting every
 *   mutation attempt as content creation (the conservative reading of GitHub's secondary limits).
 *
 * The spacing and the windows are GitHub's, in GitHub time; `timeScale` GitHub milliseconds pass in one
 * real millisecond (1 in production; a benchmark runs a simulated hour in a minute at 60), so they are
 * divided by the scale. What GitHub says on the wire (`retry-after`, `x-ratelimit-reset`) is real time
 * already, and so is the bound on a pause: it is about how long a worker may sit waiting.
 */
import { GitHubPausedError } from './errors.js';

export interface PacingLimits {
  /** GitHub milliseconds from one mutation's response to the next mutation's request. */
  minWriteGapMs: number;
  contentPerMinute: number;
  contentPerHour: number;
  /** Real milliseconds a request may be held; past that it fails fast with a transient error. */
  maxPauseMs: number;
}

export const DEFAULT_PACING: PacingLimits = {
  minWriteGapMs: 1000,
  contentPerMinute: 80,
  contentPerHour: 500,
  maxPauseMs: 60_000,
};

export type RequestKind = 'read' | 'write' | 'auth';

export interface PacerStats {
  /** Pauses started (a pause extended while it lasts counts once). */
  pauses: number;
  /** Real milliseconds mutations waited for their spacing or the content windows. */
  writeWaitMs: number;
  /** Real milliseconds requests waited out pauses. */
  pauseWaitMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(ms))));

export class Pacer {
  private pausedUntil = 0;
  private pauseReason = '';
  private lane: Promise<void> = Promise.resolve();
  private lastWriteEnd = Number.NEGATIVE_INFINITY;
  /**
   * Mutations of the last (scaled) hour, oldest first: when each was sent, moved to when its answer came
   * once it has. GitHub counts a request when it arrives, somewhere in between; counting it at the later
   * end keeps our windows at least as full as GitHub's.
   */
  private readonly writes: Array<{ at: number }> = [];
  private current: { at: number } | undefined;
  readonly stats: PacerStats = { pauses: 0, writeWaitMs: 0, pauseWaitMs: 0 };

  constructor(
    readonly timeScale: number,
    readonly limits: PacingLimits = DEFAULT_PACING,
  ) {
    if (!(timeScale > 0)) throw new RangeError(`timeScale must be positive, not ${timeScale}`);
  }

  /** GitHub milliseconds as real ones. */
  real(githubMs: number): number {
    return githubMs / this.timeScale;
  }

  /**
   * Holds every request for `waitMs` real milliseconds from now. A longer pause already set stands.
   * True when this started or extended the pause.
   */
  pauseFor(waitMs: number, reason: string): boolean {
    const now = Date.now();
    const until = now + Math.max(0, waitMs);
    if (until <= this.pausedUntil) return false;
    if (this.pausedUntil <= now) this.stats.pauses++;
    this.pausedUntil = until;
    this.pauseReason = reason;
    return true;
  }

  /** Real milliseconds left of the current pause. */
  pausedFor(now = Date.now()): number {
    return Math.max(0, this.pausedUntil - now);
  }

  /** Real milliseconds a request of this kind would wait now, and why. */
  waitFor(kind: RequestKind, now = Date.now()): { ms: number; reason: string } {
    let ms = this.pausedFor(now);
    let reason = ms > 0 ? this.pauseReason : '';
    if (kind !== 'write') return { ms, reason };
    const candidates: Array<[number, string]> = [
      [this.lastWriteEnd + this.real(this.limits.minWriteGapMs) - now, 'mutation spacing'],
      [this.windowWait(now, this.real(60_000), this.limits.contentPerMinute), 'content creation per minute'],
      [this.windowWait(now, this.real(3_600_000), this.limits.contentPerHour), 'content creation per hour'],
    ];
    for (const [wait, why] of candidates) {
      if (wait > ms) {
        ms = wait;
        reason = why;
      }
    }
    return { ms: Math.max(0, ms), reason };
  }

  /** Fails fast, before anything is queued, when the wait would pass the bound. */
  admit(kind: RequestKind): void {
    const { ms, reason } = this.waitFor(kind);
    if (ms > this.limits.maxPauseMs) throw new GitHubPausedError(ms, reason);
  }

  /** Runs a mutation (with all its retries) alone: mutations per credential are serial. */
  async withWriteLane<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.lane;
    let release!: () => void;
    this.lane = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await previous;
      return await fn();
    } finally {
      release();
    }
  }

  /** Just before an HTTP attempt: waits out the pause and, for a mutation, its spacing; then records it. */
  async beforeSend(kind: RequestKind): Promise<void> {
    for (;;) {
      const pause = this.pausedFor();
      const { ms } = this.waitFor(kind);
      if (ms <= 0) break;
      if (pause > 0) this.stats.pauseWaitMs += Math.min(ms, pause);
      if (ms > pause) this.stats.writeWaitMs += ms - pause;
      await sleep(ms);
    }
    if (kind === 'write') {
      const now = Date.now();
      this.current = { at: now };
      this.writes.push(this.current);
      const horizon = now - this.real(3_600_000);
      while ((this.writes[0]?.at ?? horizon) < horizon) this.writes.shift();
    }
  }

  /** After an HTTP attempt, whatever its outcome. */
  afterSend(kind: RequestKind): void {
    if (kind !== 'write') return;
    this.lastWriteEnd = Date.now();
    if (this.current) this.current.at = this.lastWriteEnd;
    this.current = undefined;
  }

  /** Mutations in the last `windowMs` real milliseconds. */
  recentWrites(windowMs: number, now = Date.now()): number {
    return this.writes.filter((w) => w.at > now - windowMs).length;
  }

  private windowWait(now: number, windowMs: number, limit: number): number {
    const inWindow = this.writes.filter((w) => w.at >= now - windowMs);
    if (inWindow.length < limit) return 0;
    // Once this one leaves the window, limit - 1 remain and one more may start.
    const oldestToLeave = (inWindow[inWindow.length - limit] as { at: number }).at;
    return oldestToLeave + windowMs + 1 - now;
  }
}

const pacers = new Map<string, Pacer>();

/** The pacer of one credential on one GitHub server at one time scale, shared within the process. */
export function pacerFor(key: string, create: () => Pacer): Pacer {
  let pacer = pacers.get(key);
  if (!pacer) {
    pacer = create();
    pacers.set(key, pacer);
  }
  return pacer;
}
