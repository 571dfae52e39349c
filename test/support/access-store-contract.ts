/**
 * The TokenStore and AuditLog contract every runtime's stores must keep, run against SQLite and DynamoDB
 * alike (test/integration/access-stores.test.ts), so both return the same records for the same calls.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newRequestId } from '../../src/adapters/system.js';
import {
  type AuditEntry,
  type AuditLog,
  type AuditQuery,
  InvalidCursorError,
  type TokenRecord,
  type TokenStore,
} from '../../src/ports.js';

export const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;

/** A token record as the token use case makes them; `n` tells them apart (id, digest, time). */
export function tokenRecord(n: number, fields: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id: `tok_${String(n).padStart(16, '0')}`,
    user: `user${n}`,
    role: 'requester',
    environments: null,
    digest: createHash('sha256').update(`rdsp_token-${n}`).digest('hex'),
    createdAt: new Date(T0 + n * 1000).toISOString(),
    createdBy: 'admin',
    revokedAt: null,
    revokedBy: null,
    ...fields,
  };
}

/** An entry as recordAudit makes them: a UUIDv7 id of its own time. */
export function auditEntry(atMs: number, fields: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: newRequestId(atMs),
    at: new Date(atMs).toISOString(),
    actor: 'alice',
    role: 'requester',
    action: 'request.create',
    outcome: 'allowed',
    target: 'db:orders',
    environment: 'dev',
    detail: null,
    ...fields,
  };
}

/** Every page of a query, in order, and the number of pages. */
async function allPages(log: AuditLog, query: AuditQuery): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await log.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    pages++;
    expect(page.entries.length).toBeLessThanOrEqual(query.limit);
    ids.push(...page.entries.map((e) => e.id));
    if (page.nextCursor === null) return { ids, pages };
    cursor = page.nextCursor;
    if (pages > 100) throw new Error('paging does not end');
  }
}

/** Defines the contract's tests; each getter is read inside each test, after the caller's beforeEach. */
export function accessStoreContract(harness: () => { tokens: TokenStore; audit: AuditLog }): void {
  const tokens = () => harness().tokens;
  const audit = () => harness().audit;

  describe('token store contract', () => {
    it('returns a created token by id and by digest, as it was given', async () => {
      const one = tokenRecord(1, { environments: ['dev', 'staging'], role: 'approver' });
      const two = tokenRecord(2, { role: 'pipeline', createdBy: 'first-start' });
      expect(await tokens().create(one)).toBe(true);
      expect(await tokens().create(two)).toBe(true);
      expect(await tokens().get(one.id)).toEqual(one);
      expect(await tokens().byDigest(one.digest)).toEqual(one);
      expect(await tokens().byDigest(two.digest)).toEqual(two);
      expect(await tokens().get('tok_nope')).toBeUndefined();
      expect(await tokens().byDigest(tokenRecord(3).digest)).toBeUndefined();
    });

    it('refuses a taken id or a taken digest and stores nothing of the refused one', async () => {
      const one = tokenRecord(1);
      expect(await tokens().create(one)).toBe(true);
      const sameId = tokenRecord(2, { id: one.id });
      expect(await tokens().create(sameId)).toBe(false);
      expect(await tokens().byDigest(sameId.digest)).toBeUndefined();
      const sameDigest = tokenRecord(3, { digest: one.digest });
      expect(await tokens().create(sameDigest)).toBe(false);
      expect(await tokens().get(sameDigest.id)).toBeUndefined();
      expect(await tokens().byDigest(one.digest)).toEqual(one);
      expect(await tokens().list()).toEqual([one]);
    });

    it('lists every token newest first, revoked ones included', async () => {
      const records = [tokenRecord(1), tokenRecord(3), tokenRecord(2)];
      // Same time: the larger id first.
      const tie = tokenRecord(4, { createdAt: records[1]?.createdAt });
      for (const record of [...records, tie]) expect(await tokens().create(record)).toBe(true);
      await tokens().revoke(tokenRecord(2).id, new Date(T0 + DAY), 'admin');
      const listed = await tokens().list();
      expect(listed.map((r) => r.id)).toEqual([
        tie.id,
        tokenRecord(3).id,
        tokenRecord(2).id,
        tokenRecord(1).id,
      ]);
      expect(listed[2]?.revokedAt).toBe(new Date(T0 + DAY).toISOString());
      expect(await tokens().list()).toEqual(listed);
    });

    it('lists nothing when there is no token', async () => {
      expect(await tokens().list()).toEqual([]);
    });

    it('revokes once: the first revocation is kept, a second changes nothing', async () => {
      const one = tokenRecord(1);
      await tokens().create(one);
      const first = await tokens().revoke(one.id, new Date(T0 + DAY), 'root');
      const revoked = { ...one, revokedAt: new Date(T0 + DAY).toISOString(), revokedBy: 'root' };
      expect(first).toEqual({ record: revoked, changed: true });
      expect(await tokens().byDigest(one.digest)).toEqual(revoked);
      expect(await tokens().get(one.id)).toEqual(revoked);
      const second = await tokens().revoke(one.id, new Date(T0 + 2 * DAY), 'other');
      expect(second).toEqual({ record: revoked, changed: false });
      expect(await tokens().get(one.id)).toEqual(revoked);
      expect(await tokens().revoke('tok_nope', new Date(T0), 'root')).toBeUndefined();
    });

    // Deterministic rather than concurrent: moto applies conditions without a lock, so truly concurrent
    // calls would test moto. What a caller that checked first (first-start registration) relies on:
    it('refuses a creation whose digest another took after the caller found none', async () => {
      const mine = tokenRecord(1);
      expect(await tokens().byDigest(mine.digest)).toBeUndefined();
      const theirs = tokenRecord(2, { digest: mine.digest });
      expect(await tokens().create(theirs)).toBe(true);
      expect(await tokens().create(mine)).toBe(false);
      expect(await tokens().list()).toEqual([theirs]);
    });
  });

  describe('audit log contract', () => {
    it('returns a recorded entry as it was given, empty fields included', async () => {
      const full = auditEntry(T0, { detail: 'user bob, role approver' });
      const bare = auditEntry(T0 + 1, {
        actor: '(unauthenticated)',
        role: null,
        action: 'auth.refused',
        outcome: 'denied',
        target: null,
        environment: null,
        detail: null,
      });
      await audit().record(full);
      await audit().record(bare);
      expect(await audit().list({ limit: 10 })).toEqual({ entries: [bare, full], nextCursor: null });
    });

    it('lists nothing when nothing was recorded', async () => {
      expect(await audit().list({ limit: 10 })).toEqual({ entries: [], nextCursor: null });
    });

    it('is append-only: an entry recorded again is refused and the first kept', async () => {
      const entry = auditEntry(T0);
      await audit().record(entry);
      await expect(audit().record({ ...entry, actor: 'mallory' })).rejects.toThrow();
      expect((await audit().list({ limit: 10 })).entries).toEqual([entry]);
    });

    /** Entries over several days, with a day without any between, recorded out of order. */
    async function spread(): Promise<AuditEntry[]> {
      const entries = [
        auditEntry(T0 - 3 * DAY, { actor: 'alice' }),
        auditEntry(T0 - 3 * DAY + 5, { actor: 'bob', action: 'pull.merge', outcome: 'denied' }),
        auditEntry(T0 - DAY, { actor: 'bob', action: 'pull.merge' }),
        auditEntry(T0, { actor: 'alice', action: 'token.create', role: 'admin' }),
        auditEntry(T0 + 1, { actor: 'alice', outcome: 'denied' }),
        auditEntry(T0 + 2, { actor: 'carol', action: 'request.retire' }),
        auditEntry(T0 + DAY - 1, { actor: 'bob' }),
      ];
      for (const entry of [...entries].reverse().filter((_, i) => i % 2 === 0)) await audit().record(entry);
      for (const entry of [...entries].reverse().filter((_, i) => i % 2 === 1)) await audit().record(entry);
      return entries.reverse();
    }
    const ids = (entries: AuditEntry[]) => entries.map((e) => e.id);

    it('lists newest first across days', async () => {
      const entries = await spread();
      expect((await audit().list({ limit: 100 })).entries).toEqual(entries);
    });

    it('pages through every entry with an opaque cursor, across days, with any limit', async () => {
      const entries = await spread();
      for (const limit of [1, 2, 3, 7]) {
        const { ids: paged, pages } = await allPages(audit(), { limit });
        expect(paged).toEqual(ids(entries));
        expect(pages).toBe(Math.ceil(entries.length / limit));
      }
    });

    it('filters by actor, action, outcome, since (inclusive) and until (exclusive), paged alike', async () => {
      const entries = await spread();
      const cases: Array<[Omit<AuditQuery, 'limit'>, (e: AuditEntry) => boolean]> = [
        [{ actor: 'bob' }, (e) => e.actor === 'bob'],
        [{ action: 'pull.merge' }, (e) => e.action === 'pull.merge'],
        [{ outcome: 'denied' }, (e) => e.outcome === 'denied'],
        [{ since: new Date(T0).toISOString() }, (e) => e.at >= new Date(T0).toISOString()],
        [{ until: new Date(T0).toISOString() }, (e) => e.at < new Date(T0).toISOString()],
        [
          { since: new Date(T0 - 3 * DAY + 5).toISOString(), until: new Date(T0 + 2).toISOString() },
          (e) => e.at >= new Date(T0 - 3 * DAY + 5).toISOString() && e.at < new Date(T0 + 2).toISOString(),
        ],
        [{ actor: 'alice', outcome: 'allowed' }, (e) => e.actor === 'alice' && e.outcome === 'allowed'],
        [{ actor: 'nobody' }, () => false],
        [{ since: new Date(T0 + 5 * DAY).toISOString() }, () => false],
      ];
      for (const [filter, keep] of cases) {
        const expected = ids(entries.filter(keep));
        expect(ids((await audit().list({ ...filter, limit: 100 })).entries), JSON.stringify(filter)).toEqual(
          expected,
        );
        expect((await allPages(audit(), { ...filter, limit: 1 })).ids, JSON.stringify(filter)).toEqual(
          expected,
        );
      }
    });

    it('refuses a cursor it did not make and a limit that is not a positive integer', async () => {
      await spread();
      for (const cursor of [
        'nonsense',
        '',
        Buffer.from('2025-01-01|x').toString('base64url'),
        'a'.repeat(500),
      ])
        await expect(audit().list({ limit: 2, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
      for (const limit of [0, -1, 1.5, Number.NaN])
        await expect(audit().list({ limit })).rejects.toBeInstanceOf(RangeError);
    });
  });
}
