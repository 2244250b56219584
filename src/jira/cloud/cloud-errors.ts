import type { JiraWording } from '../jira-error.js';

/** What the app user needs in Jira Cloud for each call, by path: said when Jira answers 403. */
const NEEDED_PERMISSIONS: [RegExp, string][] = [
  [/^\/rest\/api\/3\/(search\/|jql\/)/, 'the "Browse projects" permission on the projects the query names'],
  [
    /^\/rest\/api\/3\/project\/[^/]+\/role/,
    'the "Administer projects" permission, which Jira requires to read project role members',
  ],
  [/^\/rest\/api\/3\/project\/search$/, 'the "Browse projects" permission on at least one project'],
  [
    /^\/rest\/api\/3\/(groups\/picker|user|user\/groups|permissions\/check)$/,
    'the "Browse users and groups" global permission',
  ],
  [/^\/rest\/api\/3\/filter\//, 'access to the saved filter (share it with the Calendar Sync app user)'],
];

/** Jira Cloud (REST v3): the app reads as its own app user, installed with the app. */
export const cloudWording: JiraWording = {
  isQuery: (path) => /^\/rest\/api\/3\/(search\/|jql\/)/.test(path),
  unauthorized:
    'Jira no longer accepts the Calendar Sync app’s credentials. Check under Jira settings → Apps that Calendar Sync is installed and enabled.',
  forbidden: (path) =>
    `The Calendar Sync app user lacks ${NEEDED_PERMISSIONS.find(([pattern]) => pattern.test(path))?.[1] ?? 'a permission this request needs'} in Jira.`,
};
