import { sleepFor } from './retry.js';

export type TenantPacerOptions = {
  requestsPerSecond: number;
  /** Requests a tenant may send at once after being idle. */
  burst: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
};

const PRUNE_EVERY = 1000;

/**
 * Spaces each tenant's requests to Jira (generic cell rate algorithm: every `take` reserves a slot, so
 * concurrent callers queue up instead of all passing at once). Tenants never wait on each other.
 */
export class TenantPacer {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Theoretical arrival time of each tenant's next request, epoch ms. */
  private readonly nextSlot = new Map<string, number>();
  private takesSincePrune = 0;

  constructor(options: TenantPacerOptions) {
    if (!(options.requestsPerSecond > 0)) throw new RangeError('requestsPerSecond must be > 0');
    if (!(options.burst >= 1)) throw new RangeError('burst must be >= 1');
    this.intervalMs = 1000 / options.requestsPerSecond;
    this.toleranceMs = (Math.floor(options.burst) - 1) * this.intervalMs;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleepFor;
  }

  /** Resolves when the tenant may send its next request. */
  async take(clientKey: string, signal?: AbortSignal): Promise<void> {
    const waitMs = this.reserve(clientKey);
    if (waitMs > 0) await this.sleep(waitMs, signal);
    signal?.throwIfAborted();
  }

  /** How long the tenant's next request would wait now, without taking its slot. */
  waitMs(clientKey: string): number {
    const slot = this.nextSlot.get(clientKey);
    return slot === undefined ? 0 : Math.max(0, slot - this.toleranceMs - this.now());
  }

  /** Holds every request of the tenant until `epochMs`; after that they resume one interval apart, without a burst. */
  pauseUntil(clientKey: string, epochMs: number): void {
    const current = this.nextSlot.get(clientKey) ?? 0;
    this.nextSlot.set(clientKey, Math.max(current, epochMs + this.toleranceMs));
  }

  private reserve(clientKey: string): number {
    const now = this.now();
    this.prune(now);
    const slot = this.nextSlot.get(clientKey) ?? now;
    const start = Math.max(now, slot - this.toleranceMs);
    this.nextSlot.set(clientKey, Math.max(slot, start) + this.intervalMs);
    return start - now;
  }

  private prune(now: number): void {
    if (++this.takesSincePrune < PRUNE_EVERY) return;
    this.takesSincePrune = 0;
    for (const [clientKey, slot] of this.nextSlot) {
      if (slot <= now) this.nextSlot.delete(clientKey);
    }
  }
}
