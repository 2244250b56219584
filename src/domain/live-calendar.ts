import { createHash } from 'node:crypto';
import type { ProviderKey, PushedEvent } from './calendar-provider.js';
import type { FeedEvent } from './feed-event.js';

/**
 * - `live`: kept in step with the personal URL.
 * - `broken`: the person withdrew the grant at the provider; nothing is called until they reconnect.
 * - `ended`: the personal URL stopped serving them (access lost, URL revoked, feed deleted); the pushed
 *   events were taken out and `stateReason` says why.
 */
export type ConnectionState = 'live' | 'broken' | 'ended';

/** One personal calendar kept live in a person's own calendar at a provider. */
export type CalendarConnection = {
  id: string;
  clientKey: string;
  accountId: string;
  feedId: string;
  calendar: string;
  subscriptionId: string | null;
  provider: ProviderKey;
  remoteCalendarId: string | null;
  state: ConnectionState;
  stateReason: string | null;
  createdAt: Date;
  lastPushAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  eventCount: number;
  pendingCount: number;
  /** A push stopped on purpose with `pendingCount` changes never sent (budget spent, or its share done). */
  pausedAt: Date | null;
};

/** What a pushed event was, at its provider, when last written. */
export type PushedRecord = { uid: string; remoteId: string; digest: string };

/** The context a connection's refresh token is sealed under: it opens for this row only. */
export const connectionTokenContext = (
  connection: Pick<CalendarConnection, 'clientKey' | 'accountId' | 'id'>,
) => `calendar-connection:${connection.clientKey}:${connection.accountId}:${connection.id}`;

/**
 * A feed event as a provider takes it. Timed events are UTC instants in the feed, so they go as UTC;
 * all-day events keep their dates (end exclusive in both).
 */
export function toPushedEvent(event: FeedEvent): PushedEvent {
  const time = (value: string) =>
    event.allDay ? { date: value.slice(0, 10) } : { dateTime: value, timeZone: 'UTC' };
  const body = {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    url: event.url,
    start: time(event.start),
    end: time(event.end),
    transparent: event.transparent,
  };
  return { ...body, digest: createHash('sha256').update(JSON.stringify(body)).digest('base64url') };
}

/**
 * What a live calendar holds of the events a URL serves: a cancelled tombstone is how a URL tells clients
 * that an issue left; in a calendar the app writes itself the event is simply deleted.
 */
export const toPushedEvents = (events: readonly FeedEvent[]): PushedEvent[] =>
  events.filter((event) => event.cancelledAt === undefined).map(toPushedEvent);

export type CalendarPlan = {
  inserts: PushedEvent[];
  updates: { remoteId: string; event: PushedEvent }[];
  deletes: PushedRecord[];
};

/** The least set of changes that makes what was pushed equal what the URL serves. */
export function planChanges(desired: readonly PushedEvent[], pushed: readonly PushedRecord[]): CalendarPlan {
  const stored = new Map(pushed.map((record) => [record.uid, record]));
  const wanted = new Set(desired.map((event) => event.uid));
  const plan: CalendarPlan = { inserts: [], updates: [], deletes: [] };
  for (const event of desired) {
    const record = stored.get(event.uid);
    if (!record) plan.inserts.push(event);
    else if (record.digest !== event.digest) plan.updates.push({ remoteId: record.remoteId, event });
  }
  for (const record of pushed) if (!wanted.has(record.uid)) plan.deletes.push(record);
  return plan;
}

export const planSize = (plan: CalendarPlan): number =>
  plan.inserts.length + plan.updates.length + plan.deletes.length;
