import type { ProviderKey } from './calendar-provider.js';

/** A provider's published limit: at most `calls` in any `windowMs`. */
export type QuotaLimit = { calls: number; windowMs: number };

/**
 * What a provider allows: per person (Google: per user; Graph: per mailbox) and per app (Google: per
 * project), and how many calls one person may have in flight at once.
 */
export type ProviderQuota = { perPerson: QuotaLimit; perApp: QuotaLimit | null; concurrentPerPerson: number };

export type ProviderQuotas = Readonly<Record<ProviderKey, ProviderQuota>>;

/** Google: ~600/min per user, 10,000/min per project. Graph: 10,000 per 10 min per mailbox, 4 at once. */
export const PROVIDER_QUOTAS: ProviderQuotas = {
  google: {
    perPerson: { calls: 600, windowMs: 60_000 },
    perApp: { calls: 10_000, windowMs: 60_000 },
    concurrentPerPerson: 10,
  },
  microsoft: {
    perPerson: { calls: 10_000, windowMs: 600_000 },
    perApp: null,
    concurrentPerPerson: 4,
  },
};

/** Share of a published limit the app plans to use: the rest absorbs clock skew and calls made elsewhere. */
export const QUOTA_SAFETY = 0.8;

/**
 * A token bucket that can never exceed `limit` in any window of `limit.windowMs`: it refills at
 * SAFETY × calls per window, and holds a burst of at most a tenth of the limit, so the worst window
 * sees burst + refill = (0.1 + SAFETY) × calls.
 */
export type Bucket = { key: string; capacity: number; perMs: number };

export function bucketOf(key: string, limit: QuotaLimit): Bucket {
  return {
    key,
    capacity: Math.max(1, Math.floor(limit.calls / 10)),
    perMs: (limit.calls * QUOTA_SAFETY) / limit.windowMs,
  };
}

/** The buckets one call of this person at this provider draws from; the app bucket spans all sites. */
export function bucketsFor(
  quotas: ProviderQuotas,
  provider: ProviderKey,
  person: { clientKey: string; accountId: string },
): Bucket[] {
  const quota = quotas[provider];
  const buckets = [bucketOf(`${provider}:person:${person.clientKey}:${person.accountId}`, quota.perPerson)];
  if (quota.perApp) buckets.push(bucketOf(`${provider}:app`, quota.perApp));
  return buckets;
}

/** The same quotas with every window shortened `factor` times: the bench runs an hour's pacing in minutes. */
export function compressQuotas(quotas: ProviderQuotas, factor: number): ProviderQuotas {
  const scale = (limit: QuotaLimit): QuotaLimit => ({ ...limit, windowMs: limit.windowMs / factor });
  const scaled = (quota: ProviderQuota): ProviderQuota => ({
    ...quota,
    perPerson: scale(quota.perPerson),
    perApp: quota.perApp ? scale(quota.perApp) : null,
  });
  return { google: scaled(quotas.google), microsoft: scaled(quotas.microsoft) };
}

/** A push must stop: the budget it draws from is spent until `waitMs` from now. Not an error. */
export class QuotaWait extends Error {
  constructor(readonly waitMs: number) {
    super(`provider budget spent for ${Math.ceil(waitMs)} ms`);
    this.name = 'QuotaWait';
  }
}
