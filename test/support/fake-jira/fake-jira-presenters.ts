import { ISSUE_TYPES, PRIORITIES, RESOLUTIONS, STATUS_CATEGORIES, STATUSES } from './fake-jira-catalog.js';
import type {
  FakeField,
  FakeFilter,
  FakeGroup,
  FakeIssue,
  FakeJiraData,
  FakeProject,
  FakeRole,
  FakeUser,
} from './fake-jira-types.js';

/** Renders the fake's data as Jira Cloud's REST API v3 returns it. `base` is the site URL. */

const AVATAR_HOST = 'https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net';
const SIZES = ['48x48', '24x24', '16x16', '32x32'] as const;

function userAvatars(user: FakeUser): Record<string, string> {
  const initials = user.displayName
    .split(/\s+/)
    .map((word) => word.charAt(0))
    .join('')
    .slice(0, 2)
    .toUpperCase();
  return Object.fromEntries(
    SIZES.map((size) => [
      size,
      `${AVATAR_HOST}/initials/${encodeURIComponent(initials)}-1.png?size=${size.split('x')[0]}`,
    ]),
  );
}

function projectAvatars(base: string): Record<string, string> {
  return Object.fromEntries(
    SIZES.map((size) => [
      size,
      `${base}/rest/api/3/universal_avatar/view/type/project/avatar/10400?size=${size.split('x')[0]}`,
    ]),
  );
}

/** The user as embedded in issue fields, role actors and user lists (UserDetails). */
export function presentUserRef(base: string, user: FakeUser): Record<string, unknown> {
  return {
    self: `${base}/rest/api/3/user?accountId=${encodeURIComponent(user.accountId)}`,
    accountId: user.accountId,
    ...(user.emailAddress ? { emailAddress: user.emailAddress } : {}),
    avatarUrls: userAvatars(user),
    displayName: user.displayName,
    active: user.active,
    timeZone: user.timeZone,
    accountType: user.accountType,
  };
}

/** The full User of /user and /myself. */
export function presentUser(base: string, user: FakeUser): Record<string, unknown> {
  return {
    ...presentUserRef(base, user),
    locale: user.locale,
    groups: { size: 0, items: [] },
    applicationRoles: { size: 0, items: [] },
    expand: 'groups,applicationRoles',
  };
}

export const presentGroupName = (base: string, group: FakeGroup): Record<string, unknown> => ({
  name: group.name,
  groupId: group.groupId,
  self: `${base}/rest/api/3/group?groupId=${group.groupId}`,
});

export function presentProjectRef(base: string, project: FakeProject): Record<string, unknown> {
  return {
    self: `${base}/rest/api/3/project/${project.id}`,
    id: project.id,
    key: project.key,
    name: project.name,
    projectTypeKey: project.projectTypeKey,
    simplified: false,
    avatarUrls: projectAvatars(base),
  };
}

export function presentProject(base: string, project: FakeProject): Record<string, unknown> {
  return {
    expand: 'description,lead,issueTypes,url,projectKeys,permissions,insight',
    ...presentProjectRef(base, project),
    style: 'classic',
    isPrivate: false,
    properties: {},
  };
}

export function presentField(field: FakeField): Record<string, unknown> {
  return {
    id: field.id,
    key: field.id,
    name: field.name,
    custom: field.custom,
    orderable: field.orderable,
    navigable: field.navigable,
    searchable: field.searchable,
    clauseNames: field.clauseNames,
    ...(field.schema ? { schema: field.schema } : {}),
  };
}

export function presentRole(
  base: string,
  data: FakeJiraData,
  project: FakeProject,
  role: FakeRole,
  excludeInactiveUsers: boolean,
): Record<string, unknown> {
  const actors = project.roleActors[String(role.id)] ?? { users: [], groups: [] };
  const users = actors.users
    .map((accountId) => data.users.find((user) => user.accountId === accountId))
    .filter((user): user is FakeUser => !!user && (user.active || !excludeInactiveUsers))
    .map((user) => ({
      displayName: user.displayName,
      type: 'atlassian-user-role-actor',
      actorUser: { accountId: user.accountId },
      avatarUrl: userAvatars(user)['48x48'],
    }));
  const groups = actors.groups
    .map((name) => data.groups.find((group) => group.name === name))
    .filter((group): group is FakeGroup => !!group)
    .map((group) => ({
      displayName: group.name,
      type: 'atlassian-group-role-actor',
      name: group.name,
      actorGroup: { name: group.name, displayName: group.name, groupId: group.groupId },
    }));
  return {
    self: `${base}/rest/api/3/project/${project.id}/role/${role.id}`,
    name: role.name,
    id: role.id,
    description: role.description,
    actors: [...users, ...groups].map((actor, i) => ({ id: Number(project.id) * 100 + i, ...actor })),
  };
}

export function presentFilter(base: string, data: FakeJiraData, filter: FakeFilter): Record<string, unknown> {
  const owner = data.users.find((user) => user.accountId === filter.ownerAccountId);
  const sharePermissions = filter.shares.map((share, i) => {
    const id = Number(filter.id) * 10 + i;
    switch (share.type) {
      case 'authenticated':
        return { id, type: 'authenticated' };
      case 'group': {
        const group = data.groups.find((candidate) => candidate.name === share.group);
        return { id, type: 'group', ...(group ? { group: presentGroupName(base, group) } : {}) };
      }
      case 'project': {
        const project = data.projects.find((candidate) => candidate.id === share.projectId);
        return { id, type: 'project', ...(project ? { project: presentProjectRef(base, project) } : {}) };
      }
    }
  });
  return {
    self: `${base}/rest/api/3/filter/${filter.id}`,
    id: filter.id,
    name: filter.name,
    description: filter.description,
    ...(owner ? { owner: presentUserRef(base, owner) } : {}),
    jql: filter.jql,
    viewUrl: `${base}/issues/?filter=${filter.id}`,
    searchUrl: `${base}/rest/api/3/search/jql?jql=${encodeURIComponent(filter.jql)}`,
    favourite: false,
    favouritedCount: 0,
    sharePermissions,
    editPermissions: [],
  };
}

/** The issue of a search result with the given fields; with no fields, Jira returns only the id. */
export function presentIssue(
  base: string,
  data: FakeJiraData,
  issue: FakeIssue,
  selection: { fieldIds: readonly string[]; key: boolean },
): Record<string, unknown> {
  if (selection.fieldIds.length === 0 && !selection.key) return { id: issue.id };
  const fields: Record<string, unknown> = {};
  for (const fieldId of selection.fieldIds) {
    const field = data.fields.find((candidate) => candidate.id === fieldId);
    if (field) fields[fieldId] = presentFieldValue(base, data, issue, field);
  }
  return { expand: '', id: issue.id, self: `${base}/rest/api/3/issue/${issue.id}`, key: issue.key, fields };
}

function presentFieldValue(base: string, data: FakeJiraData, issue: FakeIssue, field: FakeField): unknown {
  const userRef = (accountId: unknown): Record<string, unknown> | null => {
    const user = data.users.find((candidate) => candidate.accountId === accountId);
    return user ? presentUserRef(base, user) : null;
  };
  const status = STATUSES.find((candidate) => candidate.name === issue.status);
  const category = STATUS_CATEGORIES.find((candidate) => candidate.key === status?.category);
  const presentCategory = (c: (typeof STATUS_CATEGORIES)[number]) => ({
    self: `${base}/rest/api/3/statuscategory/${c.id}`,
    id: c.id,
    key: c.key,
    colorName: c.colorName,
    name: c.name,
  });
  switch (field.id) {
    case 'summary':
      return issue.summary;
    case 'status':
      return status
        ? {
            self: `${base}/rest/api/3/status/${status.id}`,
            description: status.description,
            iconUrl: `${base}/`,
            name: status.name,
            id: status.id,
            ...(category ? { statusCategory: presentCategory(category) } : {}),
          }
        : null;
    case 'statusCategory':
      return category ? presentCategory(category) : null;
    case 'assignee':
      return userRef(issue.assignee);
    case 'reporter':
      return userRef(issue.reporter);
    case 'priority': {
      const priority = PRIORITIES.find((candidate) => candidate.name === issue.priority);
      return priority
        ? {
            self: `${base}/rest/api/3/priority/${priority.id}`,
            iconUrl: `${base}/images/icons/priorities/${priority.name.toLowerCase()}_new.svg`,
            name: priority.name,
            id: priority.id,
          }
        : null;
    }
    case 'duedate':
    case 'created':
    case 'updated':
    case 'resolutiondate':
      return issue[field.id];
    case 'resolution': {
      const resolution = RESOLUTIONS.find((candidate) => candidate.name === issue.resolution);
      return resolution ? { self: `${base}/rest/api/3/resolution/${resolution.id}`, ...resolution } : null;
    }
    case 'issuetype': {
      const type = ISSUE_TYPES.find((candidate) => candidate.name === issue.issueType);
      return type
        ? {
            self: `${base}/rest/api/3/issuetype/${type.id}`,
            id: type.id,
            description: type.description,
            iconUrl: `${base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/10318?size=medium`,
            name: type.name,
            subtask: false,
            avatarId: 10318,
            hierarchyLevel: type.hierarchyLevel,
          }
        : null;
    }
    case 'project': {
      const project = data.projects.find((candidate) => candidate.key === issue.projectKey);
      return project ? presentProjectRef(base, project) : null;
    }
    case 'fixVersions':
      return issue.fixVersions.flatMap((id) => {
        const version = data.versions.find((candidate) => candidate.id === id);
        if (!version) return [];
        const { projectId: _projectId, ...rest } = version;
        return [{ self: `${base}/rest/api/3/version/${id}`, description: '', archived: false, ...rest }];
      });
    case 'labels':
      return issue.labels;
  }
  const value = issue.custom[field.id] ?? null;
  const schema = field.schema;
  if (schema?.custom === 'com.pyxis.greenhopper.jira:gh-sprint') {
    const sprints = (Array.isArray(value) ? value : []).flatMap((id) =>
      data.sprints.filter((sprint) => sprint.id === id),
    );
    return sprints.length > 0 ? sprints.map((sprint) => ({ goal: '', ...sprint })) : null;
  }
  if (schema?.type === 'user') return userRef(value);
  if (schema?.type === 'array' && schema.items === 'user') {
    const users = (Array.isArray(value) ? value : []).map(userRef).filter((user) => user !== null);
    return users.length > 0 ? users : null;
  }
  return value;
}
