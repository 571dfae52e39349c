import { describe, expect, it } from 'vitest';
import { jsonLogger, newRequestId } from '../../src/adapters/system.js';

describe('newRequestId', () => {
  it('is a UUID version 7 whose text sorts by creation time', () => {
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000].map((t) => newRequestId(t));
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]?.replace(/-/g, '').slice(0, 12)).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
    expect(new Set(Array.from({ length: 1000 }, () => newRequestId(1)))).toHaveProperty('size', 1000);
  });
});

describe('jsonLogger', () => {
  it('writes one JSON object per line with the fields', () => {
    const lines: string[] = [];
    jsonLogger((line) => lines.push(line)).info('request accepted', { request_id: 'r1' });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'info',
      message: 'request accepted',
      request_id: 'r1',
    });
  });
});

describe('newRequestId in one millisecond', () => {
  it('sorts ids made in the same millisecond in the order they were made', () => {
    const ids = Array.from({ length: 200 }, () => newRequestId(1_750_000_000_000));
    expect([...ids].sort()).toEqual(ids);
  });
});
