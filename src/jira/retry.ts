import { setTimeout as delay } from 'node:timers/promises';

/**
 * Milliseconds to wait according to a `Retry-After` header (delta-seconds or HTTP-date), or undefined
 * when the header is missing or unreadable.
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^retry)). `retry` counts from 0. */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Real-time sleep that rejects with the signal's own reason when aborted. */
export async function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}
