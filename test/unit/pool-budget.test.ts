import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { minimumPoolSize, poolBudget } from '../../src/db/pool-budget.js';

const total = (budget: ReturnType<typeof poolBudget>) =>
  budget.listener + budget.jobQueue + budget.jobRunner + budget.queries;

describe('DATABASE_POOL_SIZE', () => {
  it('is shared out whole: a process never opens more than it', () => {
    for (const [size, concurrency, scheduler] of [
      [24, 4, true],
      [24, 4, false],
      [9, 1, true],
      [100, 16, true],
    ] as const) {
      expect(total(poolBudget(size, concurrency, scheduler))).toBe(size);
    }
  });

  it('keeps a connection for every sync slot and for serving beside them', () => {
    const budget = poolBudget(minimumPoolSize(4, true), 4, true);
    expect(budget.jobRunner).toBe(6);
    expect(budget.queries).toBe(4 + 2);
    expect(poolBudget(24, 4, false)).toMatchObject({ jobRunner: 0, queries: 21 });
  });

  it('is refused, by name, when too small for SYNC_CONCURRENCY', () => {
    expect(loadConfig({}).databasePoolSize).toBe(24);
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '12', SYNC_CONCURRENCY: '4' })).toThrow(
      /DATABASE_POOL_SIZE: must be at least 15 with SYNC_CONCURRENCY=4/,
    );
    expect(loadConfig({ DATABASE_POOL_SIZE: '5', SCHEDULER_ENABLED: 'false' }).databasePoolSize).toBe(5);
    expect(() => loadConfig({ DATABASE_POOL_SIZE: 'many' })).toThrow(/DATABASE_POOL_SIZE/);
  });
});
