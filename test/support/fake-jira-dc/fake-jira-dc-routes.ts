import {
  canBrowse,
  canReadFilter,
  groupsOf,
  hasGlobalPermission,
  hasProjectPermission,
} from '../fake-jira/fake-jira-permissions.js';
import { presentField, presentIssue } from '../fake-jira/fake-jira-presenters.js';
import type { FakeIssue, FakeJiraData, FakeProject, FakeSprint } from '../fake-jira/fake-jira-types.js';
import { formatJiraDateTime } from '../fake-jira/jira-time.js';
import { compileJql, JqlValidationError } from '../fake-jira/jql-evaluator.js';
import { JqlSyntaxError, parseJql } from '../fake-jira/jql-parser.js';
import { type DcIdentity, dcIdentities } from './fake-jira-dc-users.js';

/** A call as the signed-in user makes it: every answer is what that user may see. */
export type DcSite = {
  data: FakeJiraData;
  caller: string;
  baseUrl: string;
  now: () => Date;
  /** Users an administrator deleted: Jira answers 404 for them (their key is never given to anyone else). */
  deleted: ReadonlySet<string>;
};
export type DcRequest = { params: Record<string, string>; query: URLSearchParams; body: unknown };
export type DcReply = { status: number; body: unknown };

export type DcRoute = {
  method: 'GET' | 'POST';
  template: string;
  /** Query parameters Jira Data Center's REST documentation defines; others get a 400. */
  query: readonly string[];
  handle: (site: DcSite, req: DcRequest) => DcReply;
};

export const dcError = (status: number, ...errorMessages: string[]): DcReply => ({
  status,
  body: { errorMessages, errors: {} },
});
const ok = (body: unknown): DcReply => ({ status: 200, body });
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Data Center's default jira.search.views.default.max. */
const MAX_RESULTS_CAP = 1000;
const SEARCH_BODY = new Set([
  'jql',
  'startAt',
  'maxResults',
  'fields',
  'expand',
  'validateQuery',
  'properties',
  'fieldsByKeys',
]);
const SPRINT_FIELD = 'com.pyxis.greenhopper.jira:gh-sprint';

function presentDcUser(site: DcSite, identity: DcIdentity, expandGroups = false): Record<string, unknown> {
  const { user } = identity;
  // A deleted user still named in an issue: Jira keeps the login, and nothing else it knew of them.
  if (site.deleted.has(user.accountId))
    return {
      key: identity.key,
      name: identity.name,
      displayName: identity.name,
      active: false,
      deleted: true,
    };
  const groups = groupsOf(site.data, user.accountId);
  return {
    self: `${site.baseUrl}/rest/api/2/user?username=${encodeURIComponent(identity.name)}`,
    key: identity.key,
    name: identity.name,
    ...(user.emailAddress ? { emailAddress: user.emailAddress } : {}),
    avatarUrls: { '48x48': `${site.baseUrl}/secure/useravatar?ownerId=${encodeURIComponent(identity.key)}` },
    displayName: user.displayName,
    active: user.active,
    deleted: false,
    timeZone: user.timeZone,
    locale: user.locale.replace('-', '_'),
    groups: {
      size: groups.length,
      items: expandGroups
        ? groups.map((name) => ({ name, self: `${site.baseUrl}/rest/api/2/group?groupname=${name}` }))
        : [],
    },
    applicationRoles: { size: 1, items: [] },
    expand: 'groups,applicationRoles',
  };
}

const byAccountId = (site: DcSite, accountId: string): DcIdentity | undefined =>
  dcIdentities(site.data).find((identity) => identity.user.accountId === accountId);

/** `…Sprint@<hash>[id=…,rapidViewId=…,state=…]`: how Data Center's v2 prints the sprint field. */
function sprintText(sprint: FakeSprint): string {
  const date = (value: string | undefined) => value ?? '<null>';
  return (
    `com.atlassian.greenhopper.service.sprint.Sprint@${(sprint.id * 2654435761).toString(16).slice(-6)}` +
    `[id=${sprint.id},rapidViewId=${sprint.boardId},state=${sprint.state.toUpperCase()},name=${sprint.name},` +
    `startDate=${date(sprint.startDate)},endDate=${date(sprint.endDate)},completeDate=${date(sprint.completeDate)},sequence=${sprint.id},goal=]`
  );
}

/** The fake Jira's issue (Cloud shape) in v2's: users by name and key, sprints as text, v2 self links. */
function presentDcIssue(site: DcSite, issue: FakeIssue, fieldIds: string[]): Record<string, unknown> {
  const cloud = presentIssue(site.baseUrl, site.data, issue, { fieldIds, key: true });
  const convert = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(convert);
    if (!isRecord(value))
      return typeof value === 'string' ? value.replace('/rest/api/3/', '/rest/api/2/') : value;
    if (typeof value['accountId'] === 'string') {
      const identity = byAccountId(site, value['accountId']);
      return identity ? presentDcUser(site, identity) : null;
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, convert(item)]));
  };
  const fields: Record<string, unknown> = {};
  for (const [id, value] of Object.entries((cloud['fields'] ?? {}) as Record<string, unknown>)) {
    const field = site.data.fields.find((candidate) => candidate.id === id);
    if (field?.schema?.custom === SPRINT_FIELD) {
      const ids = Array.isArray(issue.custom[id]) ? (issue.custom[id] as unknown[]) : [];
      const sprints = site.data.sprints.filter((sprint) => ids.includes(sprint.id));
      fields[id] = sprints.length > 0 ? sprints.map(sprintText) : null;
    } else {
      fields[id] = convert(value);
    }
  }
  return {
    expand: 'operations,editmeta,changelog,transitions,renderedFields',
    id: issue.id,
    self: `${site.baseUrl}/rest/api/2/issue/${issue.id}`,
    key: issue.key,
    fields,
  };
}

function compile(site: DcSite, jql: string) {
  const timeZone = site.data.users.find((user) => user.accountId === site.caller)?.timeZone ?? 'UTC';
  return compileJql(parseJql(jql), {
    data: site.data,
    now: site.now(),
    currentAccountId: site.caller,
    timeZone,
  });
}

/** POST /rest/api/2/search: offset pages over what the caller may browse (project permission and issue security). */
function search(site: DcSite, body: unknown): DcReply {
  if (!isRecord(body)) return dcError(400, 'The request body must be a JSON object.');
  const unknown = Object.keys(body).filter((key) => !SEARCH_BODY.has(key));
  if (unknown.length > 0)
    return dcError(
      400,
      `Unrecognized field "${unknown[0]}" (class com.atlassian.jira.rest.v2.search.SearchRequestBean), not marked as ignorable`,
    );
  const { jql = '', startAt = 0, maxResults = 50, fields = ['*navigable'] } = body;
  if (typeof jql !== 'string') return dcError(400, 'jql must be a string.');
  if (!Number.isInteger(startAt) || (startAt as number) < 0)
    return dcError(400, 'startAt must be a non-negative integer.');
  if (!Number.isInteger(maxResults) || (maxResults as number) < 0)
    return dcError(400, 'maxResults must be a non-negative integer.');
  if (!Array.isArray(fields) || fields.some((field) => typeof field !== 'string'))
    return dcError(400, 'fields must be an array of strings.');
  let compiled;
  try {
    compiled = compile(site, jql);
  } catch (error) {
    if (error instanceof JqlSyntaxError) return dcError(400, error.message);
    if (error instanceof JqlValidationError) return dcError(400, ...error.messages);
    throw error;
  }
  const matching = site.data.issues
    .filter((issue) => canBrowse(site.data, site.caller, issue) && compiled.matches(issue))
    .sort(compiled.compare);
  const size = Math.min(maxResults as number, MAX_RESULTS_CAP);
  const known = site.data.fields.filter((field) => field.id !== 'issuekey');
  const fieldIds = (fields as string[]).flatMap((item) =>
    item === '*all' || item === '*navigable'
      ? known.filter((field) => item === '*all' || field.navigable).map((field) => field.id)
      : known.some((field) => field.id === item)
        ? [item]
        : [],
  );
  const start = startAt as number;
  return ok({
    expand: 'schema,names',
    startAt: start,
    maxResults: size,
    total: matching.length,
    issues: matching
      .slice(start, start + size)
      .map((issue) => presentDcIssue(site, issue, [...new Set(fieldIds)])),
  });
}

function findProject(site: DcSite, idOrKey: string): FakeProject | undefined {
  return site.data.projects.find(
    (project) => project.id === idOrKey || project.key.toLowerCase() === idOrKey.toLowerCase(),
  );
}

/** Role actors show only to the project's administrators and Jira administrators. */
function withRoleAdmin(site: DcSite, idOrKey: string, then: (project: FakeProject) => DcReply): DcReply {
  const project = findProject(site, idOrKey);
  if (!project || !hasProjectPermission(site.data, site.caller, project, 'BROWSE_PROJECTS')) {
    return dcError(404, `No project could be found with key '${idOrKey}'.`);
  }
  if (
    !hasProjectPermission(site.data, site.caller, project, 'ADMINISTER_PROJECTS') &&
    !hasGlobalPermission(site.data, site.caller, 'ADMINISTER')
  ) {
    return dcError(403, 'You cannot edit the configuration of this project.');
  }
  return then(project);
}

export const DC_ROUTES: readonly DcRoute[] = [
  {
    method: 'POST',
    template: '/rest/api/2/search',
    query: [],
    handle: (site, { body }) => search(site, body),
  },
  {
    method: 'GET',
    template: '/rest/api/2/field',
    query: [],
    handle: (site) => ok(site.data.fields.map(presentField)),
  },
  {
    method: 'GET',
    template: '/rest/api/2/myself',
    query: ['expand'],
    handle: (site, { query }) => {
      const me = site.deleted.has(site.caller) ? undefined : byAccountId(site, site.caller);
      return me
        ? ok(presentDcUser(site, me, query.get('expand') === 'groups'))
        : dcError(401, 'You are not authenticated.');
    },
  },
  {
    method: 'GET',
    template: '/rest/api/2/serverInfo',
    query: ['doHealthCheck'],
    handle: (site) =>
      ok({
        baseUrl: site.baseUrl,
        version: '9.12.4',
        versionNumbers: [9, 12, 4],
        deploymentType: 'Server',
        buildNumber: 912004,
        serverTime: formatJiraDateTime(site.now().getTime(), 'UTC'),
        serverTitle: 'Jira',
      }),
  },
  {
    method: 'GET',
    template: '/rest/api/2/filter/{id}',
    query: ['expand'],
    handle: (site, { params }) => {
      const filter = site.data.filters.find((candidate) => candidate.id === params['id']);
      if (!filter || !canReadFilter(site.data, site.caller, filter)) {
        return dcError(
          400,
          'The selected filter is not available to you, perhaps it has been deleted or had its permissions changed.',
        );
      }
      const owner = byAccountId(site, filter.ownerAccountId);
      return ok({
        self: `${site.baseUrl}/rest/api/2/filter/${filter.id}`,
        id: filter.id,
        name: filter.name,
        description: filter.description,
        ...(owner ? { owner: presentDcUser(site, owner) } : {}),
        jql: filter.jql,
        favourite: false,
      });
    },
  },
  {
    method: 'GET',
    template: '/rest/api/2/user',
    query: ['username', 'key', 'expand', 'includeDeleted'],
    handle: (site, { query }) => {
      const username = query.get('username');
      const key = query.get('key');
      if (!username && !key)
        return dcError(400, 'Either the username or the key query parameters need to be provided');
      if (
        !hasGlobalPermission(site.data, site.caller, 'USER_PICKER') &&
        !hasGlobalPermission(site.data, site.caller, 'ADMINISTER')
      ) {
        return dcError(403, 'You do not have the permission to see the specified user.');
      }
      const identity = dcIdentities(site.data).find(
        (candidate) =>
          (key ? candidate.key === key : candidate.name === username) &&
          !site.deleted.has(candidate.user.accountId),
      );
      return identity
        ? ok(presentDcUser(site, identity, query.get('expand') === 'groups'))
        : dcError(404, `The user named '${key ?? username ?? ''}' does not exist`);
    },
  },
  {
    method: 'GET',
    template: '/rest/api/2/groups/picker',
    query: ['query', 'exclude', 'maxResults', 'userName'],
    handle: (site, { query }) => {
      const text = (query.get('query') ?? '').toLowerCase();
      const found = site.data.groups.filter(
        (group) => group.name.toLowerCase().includes(text) && !query.getAll('exclude').includes(group.name),
      );
      const shown = found.slice(0, Number(query.get('maxResults') ?? 20) || 20);
      return ok({
        header: `Showing ${shown.length} of ${found.length} matching groups`,
        total: found.length,
        groups: shown.map((group) => ({ name: group.name, html: group.name, labels: [] })),
      });
    },
  },
  {
    method: 'GET',
    template: '/rest/api/2/project',
    query: ['expand', 'recent', 'includeArchived', 'browseArchive'],
    handle: (site) =>
      ok(
        site.data.projects
          .filter((project) => hasProjectPermission(site.data, site.caller, project, 'BROWSE_PROJECTS'))
          .map((project) => ({
            self: `${site.baseUrl}/rest/api/2/project/${project.id}`,
            id: project.id,
            key: project.key,
            name: project.name,
            projectTypeKey: project.projectTypeKey,
          })),
      ),
  },
  {
    method: 'GET',
    template: '/rest/api/2/project/{projectIdOrKey}/role',
    query: [],
    handle: (site, { params }) =>
      withRoleAdmin(site, params['projectIdOrKey'] ?? '', (project) =>
        ok(
          Object.fromEntries(
            site.data.roles.map((role) => [
              role.name,
              `${site.baseUrl}/rest/api/2/project/${project.id}/role/${role.id}`,
            ]),
          ),
        ),
      ),
  },
  {
    method: 'GET',
    template: '/rest/api/2/project/{projectIdOrKey}/role/{id}',
    query: [],
    handle: (site, { params }) =>
      withRoleAdmin(site, params['projectIdOrKey'] ?? '', (project) => {
        const role = site.data.roles.find((candidate) => String(candidate.id) === params['id']);
        if (!role) return dcError(404, 'Can not retrieve a role actor for a null project role.');
        const actors = project.roleActors[String(role.id)] ?? { users: [], groups: [] };
        const users = actors.users.flatMap((accountId) => {
          const identity = byAccountId(site, accountId);
          return identity
            ? [
                {
                  displayName: identity.user.displayName,
                  type: 'atlassian-user-role-actor',
                  name: identity.name,
                },
              ]
            : [];
        });
        const groups = actors.groups.map((name) => ({
          displayName: name,
          type: 'atlassian-group-role-actor',
          name,
        }));
        return ok({
          self: `${site.baseUrl}/rest/api/2/project/${project.id}/role/${role.id}`,
          name: role.name,
          id: role.id,
          description: role.description,
          actors: [...users, ...groups].map((actor, i) => ({ id: Number(project.id) * 100 + i, ...actor })),
        });
      }),
  },
  {
    method: 'GET',
    template: '/rest/api/2/mypermissions',
    query: ['projectKey', 'projectId', 'issueKey', 'issueId', 'permissions'],
    handle: (site, { query }) => {
      const keys = (query.get('permissions') ?? '').split(',').filter((key) => key.length > 0);
      if (keys.length === 0) return dcError(400, 'Permissions parameter is required.');
      const unknown = keys.filter((key) => !(key in site.data.globalPermissions));
      if (unknown.length > 0) return dcError(400, `Permission with key ${unknown[0]} does not exist.`);
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
    },
  },
  {
    method: 'GET',
    template: '/rest/agile/1.0/sprint/{sprintId}',
    query: [],
    handle: (site, { params }) => {
      const sprint = site.data.sprints.find((candidate) => String(candidate.id) === params['sprintId']);
      if (!sprint) return dcError(404, `Sprint with id ${params['sprintId'] ?? ''} does not exist.`);
      return ok({
        id: sprint.id,
        self: `${site.baseUrl}/rest/agile/1.0/sprint/${sprint.id}`,
        state: sprint.state,
        name: sprint.name,
        ...(sprint.startDate ? { startDate: sprint.startDate } : {}),
        ...(sprint.endDate ? { endDate: sprint.endDate } : {}),
        ...(sprint.completeDate ? { completeDate: sprint.completeDate } : {}),
        originBoardId: sprint.boardId,
        goal: '',
      });
    },
  },
];

export function matchDcRoute(
  method: string,
  path: string,
): { route: DcRoute; params: Record<string, string> } | { status: 404 | 405 } {
  let pathMatched = false;
  for (const route of DC_ROUTES) {
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
