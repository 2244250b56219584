import type { Pause } from '../domain/pause.js';

/** How long CPU-bound work may hold the event loop before requests and timers get a turn. */
export const TIME_SLICE_MS = 10;

/**
 * A `Pause` that yields (through `setImmediate`, so pending I/O runs first) once `sliceMs` has passed since
 * the last yield. Each long loop takes its own.
 */
export function timeSlices(sliceMs = TIME_SLICE_MS, clock: () => number = () => performance.now()): Pause {
  let since = clock();
  return () => {
    if (clock() - since < sliceMs) return undefined;
    return new Promise((resolve) => {
      setImmediate(() => {
        since = clock();
        resolve();
      });
    });
  };
}
