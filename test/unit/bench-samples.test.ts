import { describe, expect, it } from 'vitest';
import { appendSamples } from '../../bench/samples.mjs';

describe('bench samples', () => {
  it('gathers a fast machine’s million latency samples without overflowing the call stack', () => {
    const all: number[] = [0.5];
    const round = Array.from({ length: 1_000_000 }, (_, i) => i % 7);
    expect(() => appendSamples(all, round)).not.toThrow();
    expect(all).toHaveLength(1_000_001);
    expect(all[1_000_000]).toBe(999_999 % 7);
  });
});
