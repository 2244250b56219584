import { renderCalendar } from '../calendar/render-calendar.js';
import type { FeedConfig } from '../domain/feed-config.js';
import type { FeedEvent } from '../domain/feed-event.js';
import { type BudgetFit, budgetNote, fitToBudget } from '../domain/size-budget.js';

/**
 * The size budget's cut for a configuration that is not saved yet (preview, explainer): sized by rendering
 * the calendar as the sync would, with the "N more events" note when the feed asks for it.
 */
export function fitUnsavedFeed(config: FeedConfig, events: FeedEvent[], now: Date): BudgetFit {
  const { maxBytes, note } = config.sizeBudget;
  const meta = { name: config.name, refreshIntervalMinutes: config.syncIntervalMinutes };
  return fitToBudget(events, now, maxBytes, (subset, dropped) => {
    const description = note ? budgetNote(dropped) : null;
    return Buffer.byteLength(renderCalendar(description ? { ...meta, description } : meta, subset));
  });
}
