import type { FeedEvent } from './feed-event.js';
import { compare } from './ordering.js';
import { itemRef, type SyncItem } from './sync-items.js';

/**
 * What turns the stored events `before` into `after`: the UIDs to delete (gone or changed) and the events to
 * add. `hashOf` tells a changed event from an unchanged one.
 */
export function eventChange(
  before: readonly FeedEvent[],
  after: readonly FeedEvent[],
  hashOf: (event: FeedEvent) => string,
): { removeUids: string[]; events: FeedEvent[] } {
  const was = new Map(before.map((event) => [event.uid, hashOf(event)]));
  const events = after.filter((event) => was.get(event.uid) !== hashOf(event));
  const staying = new Set(after.map((event) => event.uid));
  const removeUids = [
    ...before.filter((event) => !staying.has(event.uid)).map((event) => event.uid),
    ...events.filter((event) => was.has(event.uid)).map((event) => event.uid),
  ];
  return { removeUids, events };
}

/** What turns the stored items `before` into `after`: the items to delete (gone or changed) and those to add. */
export function itemChange(
  before: readonly SyncItem[],
  after: readonly SyncItem[],
): { remove: SyncItem[]; items: SyncItem[] } {
  const was = new Map(before.map((item) => [itemRef(item), canonical(item)]));
  const items = after.filter((item) => was.get(itemRef(item)) !== canonical(item));
  const staying = new Set(after.map(itemRef));
  const remove = [
    ...before.filter((item) => !staying.has(itemRef(item))),
    ...items.filter((item) => was.has(itemRef(item))),
  ];
  return { remove, items };
}

/** JSON with every object's keys in order (jsonb keeps its own order). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => compare(a, b)))
      : inner,
  );
}
