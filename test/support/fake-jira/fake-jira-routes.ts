import { randomBytes } from 'node:crypto';
import {
  canBrowse,
  canReadFilter,
  groupsOf,
  hasGlobalPermission,
  hasIssuePermission,
  hasProjectPermission,
} from './fake-jira-permissions.js';
import {
  presentField,
  presentFilter,
  presentGroupName,
  presentIssue,
  presentProject,
  presentRole,
  presentUser,
  presentUserRef,
} from './fake-jira-presenters.js';
import type { FakeIssue, FakeJiraData, FakeProject } from './fake-jira-types.js';
import { formatJiraDateTime } from './jira-time.js';
import { compileJql, JqlValidationError, type JqlContext } from './jql-evaluator.js';
import { JqlSyntaxError, parseJql } from './jql-parser.js';

/** A search continues over the issues its first page matched, as a snapshot. */
export type PageToken = { jql: string; offset: number; matching: FakeIssue[] };

/** What handlers may read and change: the site, as seen by the calling app user. */
export type Site = {
  data: FakeJiraData;
  /** The account the call acts as: the app user, or the user a Forge user token belongs to. */
  caller: string;
  baseUrl: string;
  now: () => Date;
  pageTokens: Map<string, PageToken>;
  /** See `FaultInjector.fieldPageLimit`. */
  fieldPageLimit: number | null;
};

export type RouteRequest = {
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
};
export type Reply = { status: number; body: unknown; headers?: Record<string, string> };

/** Connect scopes, weakest first: each one includes the ones before it. */
const SCOPES = ['READ', 'WRITE', 'DELETE', 'PROJECT_ADMIN', 'ADMIN'] as const;
export type ConnectScope = (typeof SCOPES)[number];

export const grants = (held: readonly ConnectScope[], needed: ConnectScope): boolean =>
  held.some((scope) => SCOPES.indexOf(scope) >= SCOPES.indexOf(needed));

export type Route = {
  method: 'GET' | 'POST';
  /** The path as the OpenAPI document spells it. */
  template: string;
  /** The operation's `x-atlassian-connect-scope`. */
  scope: ConnectScope;
  /** Query parameters the OpenAPI document defines for the operation; others get a 400. */
  query: readonly string[];
  handle: (site: Site, req: RouteRequest) => Reply;
};

export const jiraError = (status: number, ...errorMessages: string[]): Reply => ({
  status,
  body: { errorMessages, errors: {} },
});
const ok = (body: unknown): Reply => ({ status: 200, body });

const SEARCH_QUERY = [
  'jql',
  'nextPageToken',
  'maxResults',
  'fields',
  'expand',
  'properties',
  'fieldsByKeys',
  'failFast',
  'reconcileIssues',
];
const SEARCH_BODY = new Set([
  'jql',
  'nextPageToken',
  'maxResults',
  'fields',
  'expand',
  'properties',
  'fieldsByKeys',
  'reconcileIssues',
]);
const UNBOUNDED =
  'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';
const PAGE_TOKEN_INVALID = 'The provided next page token is invalid or expired.';

export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    template: '/rest/api/3/search/jql',
    scope: 'READ',
    query: SEARCH_QUERY,
    handle: (site, { query }) => {
      const maxResults = query.get('maxResults');
      const parsed = maxResults === null ? 50 : Number(maxResults);
      if (!Number.isInteger(parsed)) {
        return jiraError(400, `The value '${maxResults}' is invalid for 'maxResults'.`);
      }
      return search(site, {
        jql: query.get('jql') ?? '',
        nextPageToken: query.get('nextPageToken'),
        maxResults: parsed,
        fields: query.getAll('fields').flatMap((value) => value.split(',')),
      });
    },
  },
  {
    method: 'POST',
    template: '/rest/api/3/search/jql',
    scope: 'READ',
    query: [],
    handle: (site, { body }) => {
      if (!isRecord(body)) return jiraError(400, 'The request body must be a JSON object.');
      const unknown = Object.keys(body).filter((key) => !SEARCH_BODY.has(key));
      if (unknown.length > 0) {
        return jiraError(400, `Unrecognized field "${unknown[0]}" in the request body.`);
      }
      const { jql = '', nextPageToken = null, maxResults = 50, fields = [] } = body;
      if (typeof jql !== 'string' || (nextPageToken !== null && typeof nextPageToken !== 'string')) {
        return jiraError(400, 'jql and nextPageToken must be strings.');
      }
      if (!Number.isInteger(maxResults)) return jiraError(400, 'maxResults must be an integer.');
      if (!Array.isArray(fields) || fields.some((field) => typeof field !== 'string')) {
        return jiraError(400, 'fields must be an array of strings.');
      }
      return search(site, {
        jql,
        nextPageToken,
        maxResults: maxResults as number,
        fields: fields as string[],
      });
    },
  },
  {
    method: 'POST',
    template: '/rest/api/3/search/approximate-count',
    scope: 'READ',
    query: [],
    handle: (site, { body }) => {
      const jql = isRecord(body) ? body['jql'] : undefined;
      if (typeof jql !== 'string') return jiraError(400, 'jql must be a string.');
      const matching = visibleMatches(site, jql);
      return 'issues' in matching ? ok({ count: matching.issues.length }) : matching;
    },
  },
  {
    method: 'POST',
    template: '/rest/api/3/jql/parse',
    scope: 'READ',
    query: ['validation'],
    handle: (site, { query, body }) => {
      const validation = query.get('validation');
      if (validation !== 'strict' && validation !== 'warn' && validation !== 'none') {
        return jiraError(400, "The 'validation' query parameter must be one of: strict, warn, none.");
      }
      const queries = isRecord(body) ? body['queries'] : undefined;
      if (
        !Array.isArray(queries) ||
        queries.length === 0 ||
        queries.some((q) => typeof q !== 'string' || q.length === 0)
      ) {
        return jiraError(400, 'queries must be a non-empty list of non-empty strings.');
      }
      return ok({
        queries: (queries as string[]).map((text) => {
          try {
            compileJql(parseJql(text), jqlContext(site));
            return { query: text };
          } catch (error) {
            if (error instanceof JqlSyntaxError) return { query: text, errors: [error.message] };
            if (!(error instanceof JqlValidationError)) throw error;
            if (validation === 'strict') return { query: text, errors: error.messages };
            return validation === 'warn' ? { query: text, warnings: error.messages } : { query: text };
          }
        }),
      });
    },
  },
  {
    method: 'GET',
    template: '/rest/api/3/field',
    scope: 'READ',
    query: [],
    handle: (site) => ok(site.data.fields.map(presentField)),
  },
  {
    method: 'GET',
    template: '/rest/api/3/myself',
    scope: 'READ',
    query: ['expand'],
    handle: (site) => {
      const app = site.data.users.find((user) => user.accountId === site.data.appUserAccountId);
      return app ? ok(presentUser(site.baseUrl, app)) : jiraError(401, 'The app user does not exist.');
    },
  },
  {
    method: 'GET',
    template: '/rest/api/3/serverInfo',
    scope: 'READ',
    query: [],
    handle: (site) =>
      ok({
        baseUrl: site.baseUrl,
        displayUrl: site.baseUrl,
        version: '1001.0.0-SNAPSHOT',
        versionNumbers: [1001, 0, 0],
        deploymentType: 'Cloud',
        buildNumber: 100295,
        buildDate: '2026-01-05T00:00:00.000+0000',
        serverTime: formatJiraDateTime(site.now().getTime(), 'UTC'),
        scmInfo: 'f8a94c11a4e2a3e0b1d4e6c2f2a6a8b5d0c9e7f1',
        serverTitle: 'Jira',
        serverTimeZone: 'Etc/UTC',
      }),
  },
  {
    method: 'GET',
    template: '/rest/api/3/filter/{id}',
    scope: 'READ',
    query: ['expand', 'overrideSharePermissions'],
    handle: (site, { params }) => {
      const filter = site.data.filters.find((candidate) => candidate.id === params['id']);
      if (!filter || !canReadFilter(site.data, site.data.appUserAccountId, filter)) {
        return jiraError(
          400,
          'The selected filter is not available to you, perhaps it has been deleted or had its permissions changed.',
        );
      }
      return ok(presentFilter(site.baseUrl, site.data, filter));
    },
  },
  {
    method: 'GET',
    template: '/rest/api/3/user',
    scope: 'READ',
    query: ['accountId', 'username', 'key', 'expand'],
    handle: (site, { query }) => {
      const accountId = query.get('accountId');
      if (!accountId) return jiraError(400, 'The accountId query parameter needs to be provided.');
      const user = site.data.users.find((candidate) => candidate.accountId === accountId);
      return user ? ok(presentUser(site.baseUrl, user)) : userNotFound(accountId);
    },
  },
  {
    method: 'GET',
    template: '/rest/api/3/user/groups',
    scope: 'READ',
    query: ['accountId', 'username', 'key'],
    handle: (site, { query }) => {
      const accountId = query.get('accountId') ?? '';
      if (!site.data.users.some((user) => user.accountId === accountId)) return userNotFound(accountId);
      const names = groupsOf(site.data, accountId);
      return ok(
        site.data.groups
          .filter((group) => names.includes(group.name))
          .map((group) => presentGroupName(site.baseUrl, group)),
      );
    },
  },
  {
    method: 'GET',
    template: '/rest/api/3/group/member',
    scope: 'ADMIN',
    query: ['groupname', 'groupId', 'includeInactiveUsers', 'startAt', 'maxResults'],
    handle: (site, { path, query }) => {
      const name = query.get('groupname');
      const groupId = query.get('groupId');
      if (!name && !groupId) return jiraError(400, 'You must specify a group name or a group ID.');
      const group = site.data.groups.find((candidate) =>
        groupId ? candidate.groupId === groupId : candidate.name === name,
      );
      if (!group) return jiraError(404, 'Group not found.');
      const includeInactive = query.get('includeInactiveUsers') === 'true';
      const members = site.data.users.filter(
        (user) => group.members.includes(user.accountId) && (includeInactive || user.active),
      );
      return ok(
        page(
          `${site.baseUrl}${path}`,
          query,
          members.map((user) => presentUserRef(site.baseUrl, user)),
          50,
        ),
      );
    },
  },
  {
    method: 'GET',
    template: '/rest/api/3/groups/picker',
    scope: 'READ',
    query: [
      'accountId',
      'query',
      'exclude',
      'excludeId',
      'maxResults',
      'caseInsensitive',
      'userName',
      'includeTeams',
    ],
    handle: (site, { query }) => {
      const text = query.get('query') ?? '';
      const fold = (value: string) => (query.get('caseInsensitive') === 'true' ? value.toLowerCase() : value);
      const excluded = [...query.getAll('exclude'), ...query.getAll('excludeId')];
      const found = site.data.groups.filter(
        (group) =>
          fold(group.name).includes(fold(text)) &&
          !excluded.includes(group.name) &&
          !excluded.includes(group.groupId),
      );
      const shown = found.slice(0, Number(query.get('maxResults') ?? 20) || 20);
      return ok({
        header: `Showing ${shown.length} of ${found.length} matching groups`,
        total: found.length,
        groups: shown.map((group) => ({
          name: group.name,
          html: group.name,
          labels: [],
          groupId: group.groupId,
        })),
      });
    },
  },
  {
    method: 'GET',
    template: '/rest/api/3/project/search',
    scope: 'READ',
    query: [
      'startAt',
      'maxResults',
      'orderBy',
      'id',
      'keys',
      'query',
      'typeKey',
      'categoryId',
      'action',
      'expand',
      'status',
      'properties',
      'propertyQuery',
    ],
    handle: (site, { path, query }) => {
      const text = (query.get('query') ?? '').toLowerCase();
      const keys = query.getAll('keys').flatMap((value) => value.split(','));
      const ids = query.getAll('id').flatMap((value) => value.split(','));
      const orderBy = query.get('orderBy') ?? 'key';
      const sortField = orderBy.replace(/^[-+]/, '') === 'name' ? 'name' : 'key';
      const projects = site.data.projects
        .filter((project) => canBrowseProject(site, project))
        .filter(
          (project) =>
            !text || project.key.toLowerCase().includes(text) || project.name.toLowerCase().includes(text),
        )
        .filter((project) => keys.length === 0 || keys.includes(project.key))
        .filter((project) => ids.length === 0 || ids.includes(project.id))
        .sort((a, b) => a[sortField].localeCompare(b[sortField]) * (orderBy.startsWith('-') ? -1 : 1));
      return ok(
        page(
          `${site.baseUrl}${path}`,
          query,
          projects.map((project) => presentProject(site.baseUrl, project)),
          50,
        ),
      );
    },
  },
  {
    method: 'GET',
    template: '/rest/api/3/role',
    scope: 'ADMIN',
    query: [],
    handle: (site) =>
      ok(
        site.data.roles.map((role) => ({
          self: `${site.baseUrl}/rest/api/3/role/${role.id}`,
          name: role.name,
          id: role.id,
          description: role.description,
        })),
      ),
  },
  {
    method: 'GET',
    template: '/rest/api/3/project/{projectIdOrKey}/role',
    scope: 'READ',
    query: [],
    handle: (site, { params }) =>
      withAdminProject(site, params['projectIdOrKey'] ?? '', (project) =>
        ok(
          Object.fromEntries(
            site.data.roles.map((role) => [
              role.name,
              `${site.baseUrl}/rest/api/3/project/${project.id}/role/${role.id}`,
            ]),
          ),
        ),
      ),
  },
  {
    method: 'GET',
    template: '/rest/api/3/project/{projectIdOrKey}/role/{id}',
    scope: 'READ',
    query: ['excludeInactiveUsers'],
    handle: (site, { params, query }) =>
      withAdminProject(site, params['projectIdOrKey'] ?? '', (project) => {
        const role = site.data.roles.find((candidate) => String(candidate.id) === params['id']);
        if (!role) return jiraError(404, `Can not retrieve a role actor for a null project role.`);
        return ok(
          presentRole(site.baseUrl, site.data, project, role, query.get('excludeInactiveUsers') === 'true'),
        );
      }),
  },
  {
    method: 'POST',
    template: '/rest/api/3/issue/bulkfetch',
    // Jira's document names WRITE for this read-only POST; PROJECT_ADMIN includes it.
    scope: 'WRITE',
    query: [],
    handle: (site, { body }) => bulkFetch(site, body),
  },
  {
    method: 'GET',
    template: '/rest/api/3/mypermissions',
    scope: 'READ',
    query: [
      'projectKey',
      'projectId',
      'issueKey',
      'issueId',
      'permissions',
      'projectUuid',
      'projectConfigurationUuid',
      'commentId',
    ],
    handle: (site, { query }) => myPermissions(site, query),
  },
  {
    method: 'POST',
    template: '/rest/api/3/permissions/check',
    scope: 'READ',
    query: [],
    handle: (site, { body }) => checkPermissions(site, body),
  },
];

export function matchRoute(
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | { status: 404 | 405 } {
  let pathMatched = false;
  for (const route of ROUTES) {
    const names: string[] = [];
    const pattern = route.template.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const match = new RegExp(`^${pattern}/?$`).exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    return {
      route,
      params: Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')])),
    };
  }
  return { status: pathMatched ? 405 : 404 };
}

export const jqlContext = (site: Site): JqlContext => ({
  data: site.data,
  now: site.now(),
  currentAccountId: site.data.appUserAccountId,
  timeZone: site.data.users.find((user) => user.accountId === site.data.appUserAccountId)?.timeZone ?? 'UTC',
});

type SearchInput = { jql: string; nextPageToken: string | null; maxResults: number; fields: string[] };

/** Issues the app user may browse that match, in JQL order; or Jira's 400 for bad or unbounded JQL. */
function visibleMatches(site: Site, jql: string): { issues: FakeIssue[] } | Reply {
  let compiled;
  try {
    compiled = compileJql(parseJql(jql), jqlContext(site));
  } catch (error) {
    if (error instanceof JqlSyntaxError) return jiraError(400, error.message);
    if (error instanceof JqlValidationError) return jiraError(400, ...error.messages);
    throw error;
  }
  if (!compiled.bounded) return jiraError(400, UNBOUNDED);
  const app = site.data.appUserAccountId;
  const { matches, compare } = compiled;
  return {
    issues: site.data.issues
      .filter((issue) => canBrowse(site.data, app, issue) && matches(issue))
      .sort(compare),
  };
}

function search(site: Site, input: SearchInput): Reply {
  let matching: FakeIssue[];
  let offset = 0;
  if (input.nextPageToken === null) {
    const visible = visibleMatches(site, input.jql);
    if (!('issues' in visible)) return visible;
    matching = visible.issues;
  } else {
    const token = site.pageTokens.get(input.nextPageToken);
    if (!token || token.jql !== input.jql) return jiraError(400, PAGE_TOKEN_INVALID);
    ({ matching, offset } = token);
  }
  const selection = selectFields(site, input.fields);
  const cap = selection.fieldIds.length > 0 ? Math.min(100, site.fieldPageLimit ?? 100) : 5000;
  const size = Math.min(Math.max(input.maxResults, 1), cap);
  const issues = matching
    .slice(offset, offset + size)
    .map((issue) => presentIssue(site.baseUrl, site.data, issue, selection));
  const isLast = offset + size >= matching.length;
  if (isLast) return ok({ issues, isLast });
  const nextPageToken = randomBytes(24).toString('base64url');
  site.pageTokens.set(nextPageToken, { jql: input.jql, offset: offset + size, matching });
  return ok({ issues, nextPageToken, isLast });
}

/** Jira's `fields` list: ids, `*all`, `*navigable`, `-id` exclusions; the default is the id alone. */
function selectFields(site: Site, requested: string[]): { fieldIds: string[]; key: boolean } {
  const items = requested.map((item) => item.trim()).filter(Boolean);
  const chosen = new Set<string>();
  const issueFields = site.data.fields.filter((field) => field.id !== 'issuekey');
  for (const item of items) {
    const named =
      item === '*all' || item === '*navigable' ? issueFields : issueFields.filter((f) => f.id === item);
    for (const field of named) if (item !== '*navigable' || field.navigable) chosen.add(field.id);
  }
  for (const item of items) if (item.startsWith('-')) chosen.delete(item.slice(1));
  return { fieldIds: [...chosen], key: items.includes('key') };
}

/** Jira's offset pages (PageBean): `startAt`, `maxResults` capped at `limit`, `total`, `isLast`, `nextPage`. */
function page(
  url: string,
  query: URLSearchParams,
  values: unknown[],
  limit: number,
): Record<string, unknown> {
  const startAt = Math.max(0, Number(query.get('startAt') ?? 0) || 0);
  const maxResults = Math.min(Math.max(Number(query.get('maxResults') ?? limit) || limit, 1), limit);
  const isLast = startAt + maxResults >= values.length;
  const at = (start: number): string => {
    const params = new URLSearchParams(query);
    params.set('startAt', String(start));
    params.set('maxResults', String(maxResults));
    return `${url}?${params.toString()}`;
  };
  return {
    self: at(startAt),
    ...(isLast ? {} : { nextPage: at(startAt + maxResults) }),
    maxResults,
    startAt,
    total: values.length,
    isLast,
    values: values.slice(startAt, startAt + maxResults),
  };
}

function findProject(site: Site, idOrKey: string): FakeProject | undefined {
  return site.data.projects.find(
    (project) => project.id === idOrKey || project.key.toLowerCase() === idOrKey.toLowerCase(),
  );
}

const canBrowseProject = (site: Site, project: FakeProject): boolean =>
  hasProjectPermission(site.data, site.data.appUserAccountId, project, 'BROWSE_PROJECTS');

function withAdminProject(site: Site, idOrKey: string, then: (project: FakeProject) => Reply): Reply {
  const project = findProject(site, idOrKey);
  if (!project || !canBrowseProject(site, project)) {
    return jiraError(404, `No project could be found with key '${idOrKey}'.`);
  }
  if (!site.data.appHasProjectAdmin) {
    return jiraError(403, 'You cannot edit the configuration of this project.');
  }
  return then(project);
}

const userNotFound = (accountId: string): Reply =>
  jiraError(404, `Specified user does not exist or you do not have required permissions: '${accountId}'.`);

const BULK_FETCH_BODY = new Set(['expand', 'fields', 'fieldsByKeys', 'issueIdsOrKeys', 'properties']);

/** Up to 100 issues by id or key; ones the app may not browse or that do not exist are left out, as Jira does. */
function bulkFetch(site: Site, body: unknown): Reply {
  if (!isRecord(body)) return jiraError(400, 'The request body must be a JSON object.');
  const unknown = Object.keys(body).filter((key) => !BULK_FETCH_BODY.has(key));
  if (unknown.length > 0) return jiraError(400, `Unrecognized field "${unknown[0]}" in the request body.`);
  const { issueIdsOrKeys, fields = [] } = body;
  if (!Array.isArray(issueIdsOrKeys) || issueIdsOrKeys.some((value) => typeof value !== 'string')) {
    return jiraError(400, 'issueIdsOrKeys must be an array of strings.');
  }
  if (issueIdsOrKeys.length === 0 || issueIdsOrKeys.length > 100) {
    return jiraError(400, 'issueIdsOrKeys must name between 1 and 100 issues.');
  }
  if (!Array.isArray(fields) || fields.some((field) => typeof field !== 'string'))
    return jiraError(400, 'fields must be an array of strings.');
  const app = site.data.appUserAccountId;
  const wanted = new Set(issueIdsOrKeys as string[]);
  const selection = selectFields(site, fields as string[]);
  const issues = site.data.issues
    .filter((issue) => (wanted.has(issue.id) || wanted.has(issue.key)) && canBrowse(site.data, app, issue))
    .map((issue) => presentIssue(site.baseUrl, site.data, issue, selection));
  return ok({ issues, issueErrors: [] });
}

/** The caller's own global permissions (the fake knows no project context for this call). */
function myPermissions(site: Site, query: URLSearchParams): Reply {
  const keys = (query.get('permissions') ?? '').split(',').filter((key) => key.length > 0);
  if (keys.length === 0) return jiraError(400, "The 'permissions' query parameter is required.");
  const unknown = keys.filter((key) => !(key in site.data.globalPermissions));
  if (unknown.length > 0) return jiraError(400, `Unrecognized permissions: ${unknown.join(', ')}`);
  return ok({
    permissions: Object.fromEntries(
      keys.map((key) => [
        key,
        {
          id: key,
          key,
          name: key,
          type: 'GLOBAL',
          description: key,
          havePermission: hasGlobalPermission(site.data, site.caller, key),
        },
      ]),
    ),
  });
}

function checkPermissions(site: Site, body: unknown): Reply {
  if (!isRecord(body)) return jiraError(400, 'The request body must be a JSON object.');
  const { data } = site;
  const accountId = typeof body['accountId'] === 'string' ? body['accountId'] : data.appUserAccountId;
  if (!data.users.some((user) => user.accountId === accountId)) {
    return jiraError(400, `No user with account ID '${accountId}'.`);
  }
  const requests = Array.isArray(body['projectPermissions']) ? (body['projectPermissions'] as unknown[]) : [];
  const globals = Array.isArray(body['globalPermissions'])
    ? (body['globalPermissions'] as unknown[]).map(String)
    : [];

  const unknownGlobals = globals.filter((key) => !(key in data.globalPermissions));
  if (unknownGlobals.length > 0) {
    return jiraError(400, `Unrecognized global permissions: ${unknownGlobals.join(', ')}`);
  }
  const grants = new Map<string, { projects: Set<number>; issues: Set<number> }>();
  for (const request of requests) {
    if (!isRecord(request) || !Array.isArray(request['permissions'])) {
      return jiraError(400, 'Each project permission needs a permissions list.');
    }
    const projects = Array.isArray(request['projects']) ? (request['projects'] as unknown[]).map(Number) : [];
    const issues = Array.isArray(request['issues']) ? (request['issues'] as unknown[]).map(Number) : [];
    for (const permission of (request['permissions'] as unknown[]).map(String)) {
      if (!(permission in data.permissionScheme)) {
        return jiraError(400, `Unrecognized project permissions: ${permission}`);
      }
      const grant = grants.get(permission) ?? { projects: new Set<number>(), issues: new Set<number>() };
      grants.set(permission, grant);
      for (const projectId of projects) {
        const project = data.projects.find((candidate) => Number(candidate.id) === projectId);
        if (project && hasProjectPermission(data, accountId, project, permission)) {
          grant.projects.add(projectId);
        }
      }
      for (const issueId of issues) {
        const issue = data.issues.find((candidate) => Number(candidate.id) === issueId);
        if (issue && hasIssuePermission(data, accountId, issue, permission)) grant.issues.add(issueId);
      }
    }
  }
  return ok({
    projectPermissions: [...grants].map(([permission, grant]) => ({
      permission,
      projects: [...grant.projects],
      issues: [...grant.issues],
    })),
    globalPermissions: globals.filter((key) => hasGlobalPermission(data, accountId, key)),
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
