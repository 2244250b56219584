/** The calendar apps told apart by the User-Agent of a feed fetch; only this family is kept, never the string. */
export const CLIENT_FAMILIES = ['google', 'outlook', 'apple', 'other'] as const;
export type ClientFamily = (typeof CLIENT_FAMILIES)[number];

const PATTERNS: readonly [ClientFamily, RegExp][] = [
  ['google', /Google-Calendar-Importer|Google/i],
  ['outlook', /Outlook|Exchange|Microsoft|MSOffice/i],
  ['apple', /CalendarAgent|dataaccessd|iCal\/|iOS|Mac ?OS|Darwin|CalendarStore/i],
];

export function clientFamilyOf(userAgent: string | null): ClientFamily {
  if (!userAgent) return 'other';
  return PATTERNS.find(([, pattern]) => pattern.test(userAgent))?.[0] ?? 'other';
}

/** A URL handed out this long ago and never fetched since is probably an imported copy, not a subscription. */
export const UNFETCHED_WARNING_MS = 48 * 60 * 60 * 1000;

/** "URLs in use" counts a URL some app fetched within this long. */
export const URL_IN_USE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Whether to warn that no calendar app has fetched a URL: it was shown long enough ago and has not been
 * fetched since (a regenerated URL starts over).
 */
export function neverFetchedSinceShown(
  url: { urlShownAt: Date | null; lastFetchedAt: Date | null },
  now: Date,
): boolean {
  if (!url.urlShownAt) return false;
  if (now.getTime() - url.urlShownAt.getTime() <= UNFETCHED_WARNING_MS) return false;
  return url.lastFetchedAt === null || url.lastFetchedAt < url.urlShownAt;
}
