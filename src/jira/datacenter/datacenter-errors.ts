import type { JiraWording } from '../jira-error.js';

/** What the account Calendar Sync reads as needs in Jira Data Center for each call, by path. */
const NEEDED_PERMISSIONS: [RegExp, string][] = [
  [/^\/rest\/api\/2\/search$/, 'the "Browse projects" permission on the projects the query names'],
  [
    /^\/rest\/api\/2\/project\/[^/]+\/role/,
    'the "Administer projects" permission, which Jira requires to read project role members',
  ],
  [/^\/rest\/api\/2\/project$/, 'the "Browse projects" permission on at least one project'],
  [/^\/rest\/api\/2\/(groups\/picker|user)$/, 'the "Browse users and groups" global permission'],
  [/^\/rest\/api\/2\/filter\//, 'access to the saved filter (it must be shared with that account)'],
];

/**
 * Jira Data Center (REST v2) has no app user: a sync reads as its feed's owner, a page as whoever is
 * signed in, each with the token they granted at sign-in.
 */
export const dataCenterWording: JiraWording = {
  isQuery: (path) => /^\/rest\/api\/2\/search$/.test(path),
  unauthorized:
    'Jira no longer accepts the sign-in Calendar Sync holds for this account. Sign in to Calendar Sync again (for a feed’s syncs: its owner).',
  forbidden: (path) =>
    `The Jira account Calendar Sync reads as (the feed’s owner for its syncs, you on this page) lacks ${NEEDED_PERMISSIONS.find(([pattern]) => pattern.test(path))?.[1] ?? 'a permission this request needs'} in Jira.`,
};
