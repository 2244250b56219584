/**
 * OAuth 2.0 scopes per operation, as the Jira OpenAPI document's `x-atlassian-oauth2-scopes` gives them:
 * a bearer token (Forge) is let through when it holds every "current" (classic) scope or every granular
 * one. The contract test keeps this table equal to the document.
 */
export type OAuthScopes = { current: readonly string[]; granular: readonly string[] };

export const OAUTH_SCOPES: Readonly<Record<string, OAuthScopes>> = {
  'GET /rest/api/3/search/jql': {
    current: ['read:jira-work'],
    granular: [
      'read:issue-details:jira',
      'read:audit-log:jira',
      'read:avatar:jira',
      'read:field-configuration:jira',
      'read:issue-meta:jira',
    ],
  },
  'POST /rest/api/3/search/jql': {
    current: ['read:jira-work'],
    granular: [
      'read:issue-details:jira',
      'read:field.default-value:jira',
      'read:field.option:jira',
      'read:field:jira',
      'read:group:jira',
    ],
  },
  'POST /rest/api/3/search/approximate-count': {
    current: ['read:jira-work'],
    granular: [
      'read:issue-details:jira',
      'read:field.default-value:jira',
      'read:field.option:jira',
      'read:field:jira',
      'read:group:jira',
    ],
  },
  'POST /rest/api/3/jql/parse': {
    current: ['read:jira-work'],
    granular: ['read:field:jira', 'validate:jql:jira', 'read:jql:jira'],
  },
  'GET /rest/api/3/field': {
    current: ['read:jira-work'],
    granular: [
      'read:field:jira',
      'read:avatar:jira',
      'read:project-category:jira',
      'read:project:jira',
      'read:field-configuration:jira',
    ],
  },
  'GET /rest/api/3/myself': {
    current: ['read:jira-user'],
    granular: ['read:application-role:jira', 'read:group:jira', 'read:user:jira', 'read:avatar:jira'],
  },
  'GET /rest/api/3/serverInfo': {
    current: [],
    granular: [],
  },
  'GET /rest/api/3/filter/{id}': {
    current: ['read:jira-work'],
    granular: [
      'read:filter:jira',
      'read:group:jira',
      'read:project:jira',
      'read:project-role:jira',
      'read:user:jira',
      'read:jql:jira',
      'read:application-role:jira',
      'read:avatar:jira',
      'read:issue-type-hierarchy:jira',
    ],
  },
  'GET /rest/api/3/user': {
    current: ['read:jira-user'],
    granular: ['read:application-role:jira', 'read:group:jira', 'read:user:jira', 'read:avatar:jira'],
  },
  'GET /rest/api/3/user/groups': {
    current: ['read:jira-user'],
    granular: ['read:group:jira'],
  },
  'GET /rest/api/3/group/member': {
    current: ['manage:jira-configuration'],
    granular: ['read:group:jira', 'read:user:jira', 'read:avatar:jira'],
  },
  'GET /rest/api/3/groups/picker': {
    current: ['read:jira-user'],
    granular: ['read:group:jira'],
  },
  'GET /rest/api/3/project/search': {
    current: ['read:jira-work'],
    granular: [
      'read:issue-type:jira',
      'read:project:jira',
      'read:project.property:jira',
      'read:user:jira',
      'read:application-role:jira',
      'read:avatar:jira',
      'read:group:jira',
      'read:issue-type-hierarchy:jira',
      'read:project-category:jira',
      'read:project-version:jira',
      'read:project.component:jira',
    ],
  },
  'GET /rest/api/3/role': {
    current: ['manage:jira-configuration'],
    granular: [
      'read:user:jira',
      'read:group:jira',
      'read:project-role:jira',
      'read:project:jira',
      'read:avatar:jira',
      'read:project-category:jira',
    ],
  },
  'GET /rest/api/3/project/{projectIdOrKey}/role': {
    current: ['read:jira-work'],
    granular: ['read:project-role:jira'],
  },
  'GET /rest/api/3/project/{projectIdOrKey}/role/{id}': {
    current: ['read:jira-work'],
    granular: [
      'read:user:jira',
      'read:group:jira',
      'read:project-role:jira',
      'read:project:jira',
      'read:avatar:jira',
      'read:project-category:jira',
    ],
  },
  'POST /rest/api/3/issue/bulkfetch': {
    current: ['read:jira-work'],
    granular: [
      'read:issue-meta:jira',
      'read:issue-security-level:jira',
      'read:issue.vote:jira',
      'read:issue.changelog:jira',
      'read:avatar:jira',
      'read:issue:jira',
      'read:status:jira',
      'read:user:jira',
      'read:field-configuration:jira',
    ],
  },
  'GET /rest/api/3/mypermissions': {
    current: ['read:jira-work'],
    granular: ['read:permission:jira'],
  },
  'POST /rest/api/3/permissions/check': {
    current: [],
    granular: ['read:permission:jira'],
  },
};

export const grantsOAuth = (held: ReadonlySet<string>, needed: OAuthScopes): boolean =>
  needed.current.every((scope) => held.has(scope)) ||
  (needed.granular.length > 0 && needed.granular.every((scope) => held.has(scope)));
