import type { Request } from 'express';

export type FailureLimiterOptions = {
  /** Failed lookups an address may make per window before it is turned away. */
  maxFailures: number;
  windowMs: number;
  /** Addresses tracked at once; the oldest windows are dropped first. */
  maxTracked?: number;
  now?: () => number;
};

/**
 * Counts failed feed-token lookups per client address. An address over the budget is answered 429
 * before any lookup, so guessing costs the guesser, while subscribers from other addresses (and the
 * same address once the window passes) are served as usual.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();
  private readonly now: () => number;
  private readonly maxTracked: number;

  constructor(private readonly options: FailureLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.maxTracked = options.maxTracked ?? 10_000;
  }

  /** Milliseconds until the address may try again, or 0 when it may now. */
  retryAfterMs(req: Request): number {
    const window = this.windows.get(key(req));
    if (!window) return 0;
    const elapsed = this.now() - window.start;
    if (elapsed >= this.options.windowMs) return 0;
    return window.failures >= this.options.maxFailures ? this.options.windowMs - elapsed : 0;
  }

  recordFailure(req: Request): void {
    const address = key(req);
    const now = this.now();
    const window = this.windows.get(address);
    if (window && now - window.start < this.options.windowMs) {
      window.failures += 1;
      return;
    }
    this.windows.delete(address);
    if (this.windows.size >= this.maxTracked) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(address, { start: now, failures: 1 });
  }
}

const key = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';
