import { describe, expect, it } from 'vitest';
import { inBatches } from '../../src/jira/batches.js';

/** A batch fetcher whose calls finish when the test says, recording what was in flight. */
function controlled() {
  const pending: { batch: number[]; finish: () => void; fail: (error: Error) => void }[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const fetchBatch = (batch: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      pending.push({
        batch,
        finish: () => {
          inFlight -= 1;
          resolve(batch.map((item) => `#${item}`));
        },
        fail: (error) => {
          inFlight -= 1;
          reject(error);
        },
      });
    });
  return { pending, fetchBatch, mostInFlight: () => mostInFlight, inFlight: () => inFlight };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('inBatches', () => {
  it('keeps the items’ order however the batches finish, with no more than the limit in flight', async () => {
    const jira = controlled();
    const items = Array.from({ length: 10 }, (_, index) => index);
    const read = inBatches(items, 3, jira.fetchBatch, 2);
    await settle();
    expect(jira.pending.map((call) => call.batch)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    jira.pending[1]!.finish();
    await settle();
    jira.pending[2]!.finish();
    await settle();
    jira.pending[0]!.finish();
    await settle();
    jira.pending[3]!.finish();
    expect(await read).toEqual(items.map((item) => `#${item}`));
    expect(jira.pending.map((call) => call.batch)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect(jira.mostInFlight()).toBe(2);
  });

  it('starts nothing after a failure, waits for what is in flight, then throws the first error', async () => {
    const jira = controlled();
    const read = inBatches([1, 2, 3, 4, 5, 6], 1, jira.fetchBatch, 2);
    const outcome = read.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await settle();
    jira.pending[0]!.fail(new Error('Jira said 500'));
    await settle();
    expect(jira.pending).toHaveLength(2);
    let done = false;
    void outcome.then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    jira.pending[1]!.fail(new Error('second'));
    expect(await outcome).toEqual(new Error('Jira said 500'));
    expect(jira.inFlight()).toBe(0);
  });

  it('sends nothing for no items', async () => {
    const jira = controlled();
    expect(await inBatches([], 100, jira.fetchBatch)).toEqual([]);
    expect(jira.pending).toHaveLength(0);
  });
});
