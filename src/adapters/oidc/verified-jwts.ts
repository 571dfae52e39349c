import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';

/** JWTs remembered at most: one entry per JWT a caller presents, so a few per person signed in. */
const MAX_ENTRIES = 1000;

/**
 * JWTs that verified (signature, issuer, audience, time), remembered for a short while by their SHA-256
 * so a caller's next requests skip the signature check: it is the one cost a JWT adds to a request, and
 * WebCrypto runs it off the event loop, so on a busy machine it waits for a thread. Only JWTs that verified
 * enter, each until the earlier of `maxAgeMs` from now and its own expiry; the oldest go first when full.
 */
export class VerifiedJwts {
  private readonly entries = new Map<string, { payload: JWTPayload; until: number }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(jwt: string): JWTPayload | undefined {
    if (this.maxAgeMs <= 0) return undefined;
    const key = digest(jwt);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > this.now()) return entry.payload;
    this.entries.delete(key);
    return undefined;
  }

  /** Remembers a JWT that verified, until `expiresAt` (ms, its exp with the clock tolerance) at the latest. */
  add(jwt: string, payload: JWTPayload, expiresAt: number): void {
    if (this.maxAgeMs <= 0) return;
    const until = Math.min(expiresAt, this.now() + this.maxAgeMs);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(digest(jwt), { payload, until });
  }
}

const digest = (jwt: string) => createHash('sha256').update(jwt).digest('base64url');
