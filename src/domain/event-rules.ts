import type { FeedConfig } from './feed-config.js';
import type { JiraIssueLike } from './feed-event.js';
import { FeedEventBuilder, type BuildContext, type BuildResult } from './feed-event-builder.js';
import { issueUpdatedMs } from './jira-values.js';
import { compareIds } from './ordering.js';
import { eachSliced, type Pause } from './pause.js';

export type { BuildContext, BuildResult, JiraIssueLike };

/**
 * Turns Jira issues into calendar events following the feed's rules. Pure: `now` only positions the window.
 * Events come out at SEQUENCE 0, stamped with their data's last update; `applyRevisions` gives them their history.
 * Reading Jira's values is `jira-values.ts`, where each rule kind places an event is `rule-spans.ts`, and
 * counting what was built, omitted and filtered is `feed-event-builder.ts`.
 */
export function buildFeedEvents(config: FeedConfig, issues: JiraIssueLike[], ctx: BuildContext): BuildResult {
  const builder = new FeedEventBuilder(config, ctx);
  for (const issue of uniqueIssues(issues)) builder.addIssue(issue);
  return builder.finish();
}

/** `buildFeedEvents` that calls `pause` after each issue and awaits it when it asks to: a big sync or a template
 * near its limits does not hold the event loop. */
export async function buildFeedEventsSliced(
  config: FeedConfig,
  issues: JiraIssueLike[],
  ctx: BuildContext,
  pause: Pause,
): Promise<BuildResult> {
  const builder = new FeedEventBuilder(config, ctx);
  await eachSliced(uniqueIssues(issues), pause, (issue) => builder.addIssue(issue));
  return builder.finish();
}

/** Drops repeated issues (a page boundary moving mid-sync), keeping the most recently updated copy; sorts by id. */
function uniqueIssues(issues: JiraIssueLike[]): JiraIssueLike[] {
  const byId = new Map<string, JiraIssueLike>();
  for (const issue of issues) {
    const existing = byId.get(issue.id);
    if (!existing || (issueUpdatedMs(issue) ?? 0) > (issueUpdatedMs(existing) ?? 0))
      byId.set(issue.id, issue);
  }
  return [...byId.values()].sort((a, b) => compareIds(a.id, b.id));
}
