import { fitCalendar } from '../calendar/fit-calendar.js';
import type { FeedConfig } from '../domain/feed-config.js';
import type { FeedEvent } from '../domain/feed-event.js';
import type { BudgetFit } from '../domain/size-budget.js';
import { timeSlices } from './time-slices.js';

/**
 * The size budget's cut for a configuration that is not saved yet (preview, explainer): sized as the sync
 * sizes it, with the "N more events" note when the feed asks for it.
 */
export async function fitUnsavedFeed(config: FeedConfig, events: FeedEvent[], now: Date): Promise<BudgetFit> {
  const { kept, dropped } = await fitCalendar(
    { name: config.name, refreshIntervalMinutes: config.syncIntervalMinutes },
    events,
    now,
    config.sizeBudget,
    { pause: timeSlices() },
  );
  return { kept, dropped };
}
