import type { FakeFilter, FakeIssue, FakeJiraData, FakeProject } from './fake-jira-types.js';

/** Permission model: project permissions come from project-role membership (direct or through a group). */

export function groupsOf(data: FakeJiraData, accountId: string): string[] {
  return data.groups.filter((group) => group.members.includes(accountId)).map((group) => group.name);
}

function isActive(data: FakeJiraData, accountId: string): boolean {
  return data.users.some((user) => user.accountId === accountId && user.active);
}

export function hasProjectPermission(
  data: FakeJiraData,
  accountId: string,
  project: FakeProject,
  permission: string,
): boolean {
  if (!isActive(data, accountId)) return false;
  const roleNames = data.permissionScheme[permission] ?? [];
  const groups = groupsOf(data, accountId);
  return data.roles
    .filter((role) => roleNames.includes(role.name))
    .some((role) => {
      const actors = project.roleActors[String(role.id)];
      return (
        !!actors &&
        (actors.users.includes(accountId) || actors.groups.some((group) => groups.includes(group)))
      );
    });
}

export function hasIssuePermission(
  data: FakeJiraData,
  accountId: string,
  issue: FakeIssue,
  permission: string,
): boolean {
  const project = data.projects.find((candidate) => candidate.key === issue.projectKey);
  if (!project || !hasProjectPermission(data, accountId, project, permission)) return false;
  const level = issue.securityLevel;
  if (!level) return true;
  return (
    level.accountIds.includes(accountId) ||
    groupsOf(data, accountId).some((group) => level.groups.includes(group))
  );
}

export const canBrowse = (data: FakeJiraData, accountId: string, issue: FakeIssue): boolean =>
  hasIssuePermission(data, accountId, issue, 'BROWSE_PROJECTS');

export function hasGlobalPermission(data: FakeJiraData, accountId: string, permission: string): boolean {
  if (!isActive(data, accountId)) return false;
  const groups = groupsOf(data, accountId);
  return (data.globalPermissions[permission] ?? []).some((group) => groups.includes(group));
}

export function canReadFilter(data: FakeJiraData, accountId: string, filter: FakeFilter): boolean {
  if (filter.ownerAccountId === accountId) return true;
  return filter.shares.some((share) => {
    switch (share.type) {
      case 'authenticated':
        return true;
      case 'group':
        return groupsOf(data, accountId).includes(share.group);
      case 'project': {
        const project = data.projects.find((candidate) => candidate.id === share.projectId);
        return !!project && hasProjectPermission(data, accountId, project, 'BROWSE_PROJECTS');
      }
    }
  });
}
