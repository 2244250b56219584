import { describe, expect, it } from 'vitest';
import type { PushedEvent } from '../../src/domain/calendar-provider.js';
import { bucketOf, bucketsFor, compressQuotas, PROVIDER_QUOTAS } from '../../src/domain/provider-quotas.js';
import { nextRun } from '../../src/jobs/push-calendar-job.js';
import { firstChanges } from '../../src/services/calendar-push-service.js';

const event = (uid: string): PushedEvent => ({
  uid,
  summary: uid,
  description: '',
  url: null,
  start: { date: '2026-01-01' },
  end: { date: '2026-01-02' },
  transparent: true,
  digest: uid,
});

describe('provider pacing rules', () => {
  it('never plans more than a limit in any window: burst plus refill stays under it', () => {
    for (const quota of Object.values(PROVIDER_QUOTAS)) {
      for (const limit of [quota.perPerson, quota.perApp]) {
        if (!limit) continue;
        const bucket = bucketOf('k', limit);
        expect(bucket.capacity + bucket.perMs * limit.windowMs).toBeLessThan(limit.calls);
      }
    }
  });

  it("draws on the person's bucket and, at Google, the whole app's; sites never share a person's", () => {
    const keys = (clientKey: string) =>
      bucketsFor(PROVIDER_QUOTAS, 'google', { clientKey, accountId: 'same' }).map((bucket) => bucket.key);
    expect(keys('site-a')).toEqual(['google:person:site-a:same', 'google:app']);
    expect(keys('site-b')[0]).not.toBe(keys('site-a')[0]);
    expect(bucketsFor(PROVIDER_QUOTAS, 'microsoft', { clientKey: 's', accountId: 'a' })).toHaveLength(1);
    expect(compressQuotas(PROVIDER_QUOTAS, 10).google.perPerson).toEqual({ calls: 600, windowMs: 6_000 });
  });

  it("takes a run's share of a plan: deletes first, then updates, then inserts", () => {
    const plan = {
      deletes: [{ uid: 'd1', remoteId: 'r', digest: 'x' }],
      updates: [{ remoteId: 'r2', event: event('u1') }],
      inserts: ['i1', 'i2', 'i3'].map(event),
    };
    const share = firstChanges(plan, 3);
    expect([share.deletes.length, share.updates.length, share.inserts.map((item) => item.uid)]).toEqual([
      1,
      1,
      ['i1'],
    ]);
    expect(firstChanges(plan, 100)).toEqual(plan);
  });

  it('comes back when the budget is, or at once after a share, without counting either as a failure', () => {
    const half = () => 0.5;
    expect(nextRun({ status: 'paced', retryAfterMs: 2_000, calls: 3 }, 4, half)).toEqual({
      delay: 2_500,
      attempt: 4,
    });
    expect(nextRun({ status: 'continues', calls: 100, changes: 100 }, 4, half)).toEqual({
      delay: 0,
      attempt: 0,
    });
    expect(nextRun({ status: 'pushed', calls: 1, changes: 1 }, 0, half)).toBeNull();
    expect(nextRun({ status: 'retry', retryAfterMs: null, calls: 0 }, 0, half)?.attempt).toBe(1);
  });
});
