import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * How long the work on hand may spend on Jira, end to end (pacing, retries, timeouts). Request handlers
 * run under a few seconds' budget so a page answers "Jira is busy, try again in N s" instead of hanging;
 * jobs run without one and wait in the queue instead.
 */
const budgets = new AsyncLocalStorage<{ deadline: number }>();

export function withJiraBudget<T>(ms: number, work: () => T, now: () => number = Date.now): T {
  return budgets.run({ deadline: now() + ms }, work);
}

/** The epoch ms by which Jira work in this context must be done, or undefined without a budget. */
export function jiraDeadline(): number | undefined {
  return budgets.getStore()?.deadline;
}
