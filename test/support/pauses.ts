import type { Pause } from '../../src/domain/pause.js';

/**
 * A pause that yields on every call and counts the calls, with a callback queued ahead of the work:
 * `otherWorkRan()` is true afterwards only if the work let the event loop run.
 */
export function yieldingPause(): { pause: Pause; turns: () => number; otherWorkRan: () => boolean } {
  let turns = 0;
  let ran = false;
  setImmediate(() => (ran = true));
  const pause: Pause = () =>
    new Promise((resolve) => {
      turns += 1;
      setImmediate(resolve);
    });
  return { pause, turns: () => turns, otherWorkRan: () => ran };
}
