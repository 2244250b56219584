import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../src/http/failure-limiter.js';

const from = (ip: string) => ({ ip, socket: {} }) as unknown as Request;

describe('FailureLimiter', () => {
  it('turns an address away after its budget, for the rest of the window only', () => {
    let now = 1_000_000;
    const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 3; i += 1) {
      expect(limiter.retryAfterMs(from('a'))).toBe(0);
      limiter.recordFailure(from('a'));
    }
    expect(limiter.retryAfterMs(from('a'))).toBe(60_000);
    expect(limiter.retryAfterMs(from('b'))).toBe(0);
    now += 45_000;
    expect(limiter.retryAfterMs(from('a'))).toBe(15_000);
    now += 15_000;
    expect(limiter.retryAfterMs(from('a'))).toBe(0);
  });

  it('keeps memory bounded by dropping the oldest addresses', () => {
    const limiter = new FailureLimiter({ maxFailures: 1, windowMs: 60_000, maxTracked: 2, now: () => 0 });
    limiter.recordFailure(from('a'));
    limiter.recordFailure(from('b'));
    limiter.recordFailure(from('c'));
    expect(limiter.retryAfterMs(from('a'))).toBe(0);
    expect(limiter.retryAfterMs(from('c'))).toBeGreaterThan(0);
  });
});
