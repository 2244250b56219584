import { describe, expect, it } from 'vitest';
import { TenantPacer } from '../../src/jira/pacer.js';

const T0 = 1_700_000_000_000;

/**
 * A pacer on a fake clock whose sleep records each wait. By default the sleep moves the clock on; with
 * `frozen` it does not, so callers that take at the same instant see the waits they were each given.
 */
function pacedClock(options: { requestsPerSecond: number; burst: number; frozen?: boolean }) {
  let now = T0;
  const waits: number[] = [];
  const pacer = new TenantPacer({
    requestsPerSecond: options.requestsPerSecond,
    burst: options.burst,
    now: () => now,
    sleep: (ms) => {
      waits.push(ms);
      if (!options.frozen) now += ms;
      return Promise.resolve();
    },
  });
  /** Takes in sequence and returns the elapsed time (from T0) at which each take was let through. */
  const takeInTurn = async (clientKey: string, count: number): Promise<number[]> => {
    const passedAt: number[] = [];
    for (let i = 0; i < count; i++) {
      await pacer.take(clientKey);
      passedAt.push(now - T0);
    }
    return passedAt;
  };
  return {
    pacer,
    waits,
    takeInTurn,
    advance: (ms: number) => {
      now += ms;
    },
    elapsed: () => now - T0,
  };
}

describe('TenantPacer', () => {
  it('lets a burst through at once, then spaces requests by 1/rate', async () => {
    const { takeInTurn, waits } = pacedClock({ requestsPerSecond: 2, burst: 3 });

    expect(await takeInTurn('tenant-a', 6)).toEqual([0, 0, 0, 500, 1000, 1500]);
    expect(waits).toEqual([500, 500, 500]);
  });

  it('queues concurrent callers one interval apart', async () => {
    const { pacer, waits } = pacedClock({ requestsPerSecond: 4, burst: 1, frozen: true });

    await Promise.all([1, 2, 3, 4].map(() => pacer.take('tenant-a')));

    expect(waits).toEqual([250, 500, 750]);
  });

  it('refills the burst after the tenant has been idle', async () => {
    const { takeInTurn, advance, elapsed } = pacedClock({ requestsPerSecond: 1, burst: 2 });
    await takeInTurn('tenant-a', 3);
    expect(elapsed()).toBe(1000);

    advance(10_000);
    const start = elapsed();
    expect((await takeInTurn('tenant-a', 3)).map((at) => at - start)).toEqual([0, 0, 1000]);
  });

  it('keeps tenants independent', async () => {
    const { pacer, takeInTurn, waits } = pacedClock({ requestsPerSecond: 1, burst: 1 });
    await pacer.take('tenant-a');
    await pacer.take('tenant-a');
    expect(waits).toEqual([1000]);

    expect(await takeInTurn('tenant-b', 1)).toEqual([1000]);
    expect(waits).toEqual([1000]);
  });

  it('holds every request of a paused tenant until the pause ends, then resumes without a burst', async () => {
    const { pacer, takeInTurn } = pacedClock({ requestsPerSecond: 2, burst: 5 });
    pacer.pauseUntil('tenant-a', T0 + 3_000);
    pacer.pauseUntil('tenant-a', T0 + 1_000);

    expect(await takeInTurn('tenant-b', 1)).toEqual([0]);
    expect(await takeInTurn('tenant-a', 3)).toEqual([3_000, 3_500, 4_000]);
  });

  it('spreads concurrent requests of a paused tenant after the pause', async () => {
    const { pacer, waits } = pacedClock({ requestsPerSecond: 10, burst: 10, frozen: true });
    pacer.pauseUntil('tenant-a', T0 + 2_000);

    await Promise.all([1, 2, 3].map(() => pacer.take('tenant-a')));

    expect(waits).toEqual([2_000, 2_100, 2_200]);
  });

  it('rejects a wait whose signal is aborted', async () => {
    const pacer = new TenantPacer({ requestsPerSecond: 0.001, burst: 1 });
    await pacer.take('tenant-a');
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));

    await expect(pacer.take('tenant-a', controller.signal)).rejects.toThrow('cancelled');
  });

  it('refuses a rate or burst that cannot pace anything', () => {
    expect(() => new TenantPacer({ requestsPerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new TenantPacer({ requestsPerSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});
