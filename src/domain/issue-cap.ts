import type { FeedEvent, JiraIssueLike } from './feed-event.js';
import { distanceFromNow } from './size-budget.js';

/** A sync over the issue cap reads this many times the cap (at most `MAX_ISSUES_READ`) to choose from. */
export const CAP_LOOKAHEAD = 4;
export const MAX_ISSUES_READ = 20_000;

export function issuesToRead(issueCap: number): number {
  return Math.max(issueCap, Math.min(issueCap * CAP_LOOKAHEAD, MAX_ISSUES_READ));
}

/**
 * The `cap` issues whose events are nearest to today (issues without an event last, then by id), in
 * their original order. Sprint and version events belong to no single issue and do not rank.
 */
export function keepNearestIssues(
  issues: JiraIssueLike[],
  events: FeedEvent[],
  cap: number,
  now: Date,
): JiraIssueLike[] {
  if (issues.length <= cap) return issues;
  const nowMs = now.getTime();
  const nearest = new Map<string, number>();
  for (const event of events) {
    if (event.issueId === null) continue;
    const distance = distanceFromNow(event, nowMs);
    nearest.set(event.issueId, Math.min(nearest.get(event.issueId) ?? Number.POSITIVE_INFINITY, distance));
  }
  const ranked = [...issues].sort(
    (a, b) =>
      (nearest.get(a.id) ?? Number.POSITIVE_INFINITY) - (nearest.get(b.id) ?? Number.POSITIVE_INFINITY) ||
      a.id.length - b.id.length ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const kept = new Set(ranked.slice(0, cap));
  return issues.filter((issue) => kept.has(issue));
}
