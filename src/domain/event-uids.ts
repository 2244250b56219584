import { createHash } from 'node:crypto';

/**
 * The right-hand side of every event UID in one feed: the feed id and a hash of the site's tenant key
 * (a Connect clientKey or a Forge installation id, treated as opaque). The app's own host is not in it,
 * so a new BASE_URL re-keys nothing, and the same issue on two sites or in two feeds gets two UIDs.
 */
export function eventUidDomain(clientKey: string, feedId: string): string {
  const site = createHash('sha256').update(`site\u0000${clientKey}`).digest('hex').slice(0, 20);
  const feed = /^[0-9a-f-]{1,64}$/.test(feedId)
    ? feedId
    : createHash('sha256').update(`feed\u0000${feedId}`).digest('hex').slice(0, 32);
  return `${feed}.${site}.calendar-sync`;
}
