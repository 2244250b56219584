import type { FeedEvent } from '../domain/feed-event.js';
import { neverPause, type Pause } from '../domain/pause.js';
import { type BudgetFit, budgetNote, fitToBudget } from '../domain/size-budget.js';
import { type CalendarMeta, calendarHeader, RenderedEvents } from './render-calendar.js';

const END_BYTES = Buffer.byteLength('END:VCALENDAR\r\n');

/**
 * The calendar of the events nearest to today that fits the size budget, with the "N more events" note
 * when `note` asks for it. Each event is rendered once and the kept ones joined: the text is what
 * `renderCalendar` gives for them, however many sizes the fit tried.
 */
export async function fitCalendar(
  meta: CalendarMeta,
  events: FeedEvent[],
  now: Date,
  budget: { maxBytes: number | null; note: boolean },
  {
    beyond = 0,
    pause = neverPause,
  }: {
    /** Events already left out before these (an incremental sync's cut ones not read again): the note counts them too. */
    beyond?: number;
    /** Called after each event rendered (`RenderedEvents.sliced`). */
    pause?: Pause;
  } = {},
): Promise<BudgetFit & { text: string }> {
  const rendered = await RenderedEvents.sliced(events, pause);
  const metaFor = (dropped: number): CalendarMeta => {
    const description = budget.note ? budgetNote(dropped + beyond) : null;
    return description ? { ...meta, description } : meta;
  };
  const frames = new Map<number, number>();
  const frameBytes = (dropped: number) => {
    let bytes = frames.get(dropped);
    if (bytes === undefined) {
      bytes = Buffer.byteLength(calendarHeader(metaFor(dropped))) + END_BYTES;
      frames.set(dropped, bytes);
    }
    return bytes;
  };
  const fit = fitToBudget(events, now, budget.maxBytes, {
    eventBytes: (index) => rendered.bytes[index]!,
    frameBytes,
  });
  if (fit.kept === events) return { ...fit, text: rendered.join(metaFor(0)) };
  const position = new Map(events.map((event, index) => [event, index]));
  const indices = fit.kept.map((event) => position.get(event)!);
  return { ...fit, text: rendered.join(metaFor(fit.dropped.length), indices) };
}
