import { createHash } from 'node:crypto';
import { MAX_SEQUENCE, type FeedEvent } from './feed-event.js';
import { mapSliced, type Pause } from './pause.js';

/** What the feed last showed for one event UID: the basis of its SEQUENCE and LAST-MODIFIED. */
export type EventRevision = {
  uid: string;
  contentHash: string;
  sequence: number;
  /** UTC ISO; DTSTAMP and LAST-MODIFIED of the event. */
  changedAt: string;
};

/**
 * A hash of everything about an event that a calendar shows. Whatever moves it (an issue edit, a rule or
 * template edit, a sprint or version rescheduled, new time-zone data) is a change a subscriber sees.
 */
export function eventContentHash(event: FeedEvent): string {
  const shown = [
    event.allDay,
    event.start,
    event.end,
    event.summary,
    event.description,
    event.url,
    event.categories,
    event.transparent,
    event.alarmMinutesBefore,
    // These two only when set, so the hashes of every other event stay what they were before tombstones existed.
    ...(event.cancelledAt === undefined ? [] : ['cancelled']),
    // The day a subscriber in another zone sees moves with it.
    ...(event.instant === undefined ? [] : [event.instant]),
  ];
  return createHash('sha256').update(JSON.stringify(shown)).digest('base64url');
}

/**
 * Gives each event the SEQUENCE and stamp its history calls for: kept while its content is unchanged,
 * raised by one (and stamped `now`, never earlier than before) when it changed. An event seen for the
 * first time starts at 0, stamped with the time its data says it changed.
 * Returns the events and the revisions to store (new or changed ones only).
 */
export function applyRevisions(
  events: FeedEvent[],
  previous: ReadonlyMap<string, EventRevision>,
  now: Date,
): { events: FeedEvent[]; changed: EventRevision[] } {
  const changed: EventRevision[] = [];
  const revise = reviser(previous, now, changed);
  return { events: events.map(revise), changed };
}

/** `applyRevisions`, calling `pause` after each event and awaiting it when it asks to. */
export async function applyRevisionsSliced(
  events: FeedEvent[],
  previous: ReadonlyMap<string, EventRevision>,
  now: Date,
  pause: Pause,
): Promise<{ events: FeedEvent[]; changed: EventRevision[] }> {
  const changed: EventRevision[] = [];
  const revise = reviser(previous, now, changed);
  return { events: await mapSliced(events, pause, revise), changed };
}

function reviser(
  previous: ReadonlyMap<string, EventRevision>,
  now: Date,
  changed: EventRevision[],
): (event: FeedEvent) => FeedEvent {
  const nowMs = now.getTime();
  return (event) => {
    const contentHash = eventContentHash(event);
    const before = previous.get(event.uid);
    if (before && before.contentHash === contentHash) {
      return { ...event, sequence: before.sequence, stamp: before.changedAt };
    }
    let revision: EventRevision;
    if (before) {
      const beforeMs = Date.parse(before.changedAt);
      revision = {
        uid: event.uid,
        contentHash,
        sequence: Math.min(before.sequence + 1, MAX_SEQUENCE),
        changedAt: new Date(Math.max(nowMs, beforeMs + 1000)).toISOString(),
      };
    } else {
      // Not `now`: the first render must not depend on when it ran.
      revision = { uid: event.uid, contentHash, sequence: 0, changedAt: event.stamp };
    }
    changed.push(revision);
    return { ...event, sequence: revision.sequence, stamp: revision.changedAt };
  };
}
