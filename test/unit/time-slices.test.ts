import { describe, expect, it } from 'vitest';
import { timeSlices } from '../../src/services/time-slices.js';

describe('timeSlices', () => {
  it('asks for a turn of the event loop only once the slice is spent, and starts a new slice after it', async () => {
    let now = 0;
    const pause = timeSlices(10, () => now);
    expect(pause()).toBeUndefined();
    now = 9;
    expect(pause()).toBeUndefined();
    now = 10;
    let otherWorkRan = false;
    setImmediate(() => (otherWorkRan = true));
    const turn = pause();
    expect(turn).toBeInstanceOf(Promise);
    now = 12;
    await turn;
    expect(otherWorkRan).toBe(true);
    now = 21;
    expect(pause()).toBeUndefined();
    now = 22;
    expect(pause()).toBeInstanceOf(Promise);
  });
});
