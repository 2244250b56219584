/**
 * Awaited between the units of a long CPU-bound loop (an issue built, an event rendered). It gives a promise
 * only when the loop should let the event loop run, so a loop yields a few times per time slice, not per unit.
 */
export type Pause = () => Promise<void> | undefined;

/** For work that is short by construction (one issue, a handful of events). */
export const neverPause: Pause = () => undefined;

/** Calls `visit` on each item, then `pause`, awaiting it when it asks to. */
export async function eachSliced<T>(
  items: Iterable<T>,
  pause: Pause,
  visit: (item: T) => void,
): Promise<void> {
  for (const item of items) {
    visit(item);
    const turn = pause();
    if (turn) await turn;
  }
}

/** `items.map(visit)` through `eachSliced`. */
export async function mapSliced<T, U>(items: Iterable<T>, pause: Pause, visit: (item: T) => U): Promise<U[]> {
  const out: U[] = [];
  await eachSliced(items, pause, (item) => out.push(visit(item)));
  return out;
}
