import { ADMIN, sampleFeedConfig, syncNow } from '../site.js';
import type { InstalledSite } from './door.js';

export type TeamFeed = { feedId: string; shared: string; personal: string[] };

/**
 * A feed on `site` that everyone may see, divided by assignee, synced; its shared URL and the personal
 * URLs `subscriber` gets to it ("all" and "mine").
 */
export async function publishTeamFeed(
  site: InstalledSite,
  subscriber: string,
  name = 'Team',
): Promise<TeamFeed> {
  const created = await site
    .api(ADMIN)
    .post('/feeds', sampleFeedConfig({ name, access: { mode: 'all', divideByUserFields: ['assignee'] } }));
  if (created.status !== 201) throw new Error(`creating the feed answered ${created.status}`);
  const feedId = String(created.body.id);
  await syncNow(site.app, site.clientKey, feedId);
  const calendars = (await site.api(subscriber).get('/me/calendars')).body.calendars as {
    feedId: string;
    url: string;
  }[];
  return {
    feedId,
    shared: String(created.body.url),
    personal: calendars.filter((calendar) => calendar.feedId === feedId).map((calendar) => calendar.url),
  };
}
