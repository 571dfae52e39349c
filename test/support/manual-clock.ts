import type { Clock } from '../../src/ports.js';

/** A clock that stands still until a test moves it on. */
export class ManualClock implements Clock {
  constructor(public ms = Date.parse('2025-06-01T09:00:00.000Z')) {}
  now() {
    return new Date(this.ms);
  }
  advance(ms: number) {
    this.ms += ms;
  }
}
