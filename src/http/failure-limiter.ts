import type { Request } from 'express';

export type FailureLimiterOptions = {
  /** Failed lookups an address may make per window before it is turned away. */
  maxFailures: number;
  windowMs: number;
  /** Addresses tracked at once; the oldest windows are dropped first. */
  maxTracked?: number;
  /** Whom a request counts against: the real client address (see `clientAddress`). */
  keyOf?: (req: Request) => string;
  now?: () => number;
};

/**
 * Counts failed feed-token lookups per client address. Callers look the token up first and ask only
 * on a failure, so a valid URL is never refused: an address over its budget, whoever drove it there,
 * only has its wrong guesses answered 429 instead of 404.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();
  private readonly now: () => number;
  private readonly maxTracked: number;
  private readonly key: (req: Request) => string;

  constructor(private readonly options: FailureLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.maxTracked = options.maxTracked ?? 10_000;
    this.key = options.keyOf ?? socketKey;
  }

  /** Milliseconds until the address may try again, or 0 when it may now. */
  retryAfterMs(req: Request): number {
    const window = this.windows.get(this.key(req));
    if (!window) return 0;
    const elapsed = this.now() - window.start;
    if (elapsed >= this.options.windowMs) return 0;
    return window.failures >= this.options.maxFailures ? this.options.windowMs - elapsed : 0;
  }

  recordFailure(req: Request): void {
    const address = this.key(req);
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

const socketKey = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';
