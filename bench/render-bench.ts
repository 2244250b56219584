import { gzipSync } from 'node:zlib';
import { renderCalendar } from '../src/calendar/render-calendar.js';
import type { FeedEvent } from '../src/domain/feed-event.js';
import { elapsedMs, median, round } from './bench-stats.js';

export type RenderBenchRow = {
  events: number;
  runs: number;
  medianMs: number;
  msPer1000Events: number;
  bytes: number;
  gzipBytes: number;
};

const META = { name: 'Bench feed', refreshIntervalMinutes: 60 };

/** `count` events taken from real synced ones, repeated under new UIDs when there are fewer. */
export function eventsOf(source: readonly FeedEvent[], count: number): FeedEvent[] {
  if (source.length === 0) throw new RangeError('no events to render');
  return Array.from({ length: count }, (_, i) => {
    const event = source[i % source.length]!;
    const copy = Math.floor(i / source.length);
    return copy === 0 ? event : { ...event, uid: `${copy}-${event.uid}` };
  });
}

export function runRenderBench(source: readonly FeedEvent[], sizes: readonly number[]): RenderBenchRow[] {
  for (let i = 0; i < 3; i++) renderCalendar(META, eventsOf(source, 1000));
  return sizes.map((size) => {
    const events = eventsOf(source, size);
    const runs = Math.max(5, Math.round(20_000 / size));
    const times: number[] = [];
    let text = '';
    for (let run = 0; run < runs; run++) {
      const started = process.hrtime.bigint();
      text = renderCalendar(META, events);
      times.push(elapsedMs(started));
    }
    const body = Buffer.from(text, 'utf8');
    const ms = median(times);
    return {
      events: size,
      runs,
      medianMs: round(ms),
      msPer1000Events: round((ms / size) * 1000),
      bytes: body.length,
      gzipBytes: gzipSync(body).length,
    };
  });
}
