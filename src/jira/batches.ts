/**
 * Requests of one bulk read Jira may have in flight at once. The site's pacer still spaces every request,
 * so this overlaps Jira's latency without raising the site's rate.
 */
export const BATCHES_IN_FLIGHT = 4;

/**
 * `fetchBatch` over `items` cut into batches of `size`, up to `inFlight` at a time, results in the order of the
 * items. On a failure no further batch starts; those in flight are waited for, then the first error is thrown.
 */
export async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  fetchBatch: (batch: T[]) => Promise<R[]>,
  inFlight = BATCHES_IN_FLIGHT,
): Promise<R[]> {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  const results: R[][] = new Array<R[]>(batches.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < batches.length) {
      const index = next++;
      try {
        results[index] = await fetchBatch(batches[index]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, batches.length) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
  return results.flat();
}
