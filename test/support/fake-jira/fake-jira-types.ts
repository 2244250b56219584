/** Jira datetime as Jira Cloud prints it: `2026-05-01T09:30:00.000+0200` (offset without colon). */
export type JiraDateTime = string;
/** `YYYY-MM-DD` */
export type JiraDate = string;

export type FakeUser = {
  accountId: string;
  displayName: string;
  emailAddress?: string;
  active: boolean;
  accountType: 'atlassian' | 'app';
  timeZone: string;
  locale: string;
};

export type FakeGroup = { groupId: string; name: string; members: string[] };

export type FakeRole = { id: number; name: string; description: string };

/** Who holds a project role: account ids and group names. */
export type FakeRoleActors = { users: string[]; groups: string[] };

export type FakeProject = {
  id: string;
  key: string;
  name: string;
  projectTypeKey: 'software' | 'business' | 'service_desk';
  leadAccountId: string;
  /** Keyed by role id. A role missing here has no actors in this project. */
  roleActors: Record<string, FakeRoleActors>;
};

export type FakeVersion = {
  id: string;
  projectId: string;
  name: string;
  released: boolean;
  releaseDate?: JiraDate;
  startDate?: JiraDate;
};

export type FakeSprint = {
  id: number;
  name: string;
  state: 'active' | 'closed' | 'future';
  boardId: number;
  startDate?: string;
  endDate?: string;
  completeDate?: string;
};

/** Issue-level security: only these users and members of these groups see the issue. */
export type FakeSecurityLevel = { name: string; accountIds: string[]; groups: string[] };

/**
 * Custom field values are stored by field id in their raw form: dates and datetimes as Jira strings,
 * user pickers as account ids, the sprint field as sprint ids.
 */
export type FakeCustomValue = string | number | string[] | number[] | null;

export type FakeIssue = {
  id: string;
  key: string;
  projectKey: string;
  issueType: string;
  summary: string;
  status: string;
  priority: string;
  assignee: string | null;
  reporter: string | null;
  created: JiraDateTime;
  updated: JiraDateTime;
  duedate: JiraDate | null;
  resolution: string | null;
  resolutiondate: JiraDateTime | null;
  labels: string[];
  /** Version ids. */
  fixVersions: string[];
  custom: Record<string, FakeCustomValue>;
  securityLevel?: FakeSecurityLevel;
};

export type FakeFieldSchema = {
  type: string;
  system?: string;
  custom?: string;
  customId?: number;
  items?: string;
};

export type FakeField = {
  id: string;
  name: string;
  custom: boolean;
  schema?: FakeFieldSchema;
  clauseNames: string[];
  orderable: boolean;
  navigable: boolean;
  searchable: boolean;
};

export type FakeShare =
  { type: 'authenticated' } | { type: 'group'; group: string } | { type: 'project'; projectId: string };

/** A saved filter; who may read it follows its owner and share permissions. */
export type FakeFilter = {
  id: string;
  name: string;
  description: string;
  jql: string;
  ownerAccountId: string;
  shares: FakeShare[];
};

export type FakeJiraData = {
  appUserAccountId: string;
  /** When false, the project role endpoints answer 403 (the app lacks the PROJECT_ADMIN scope grant). */
  appHasProjectAdmin: boolean;
  users: FakeUser[];
  groups: FakeGroup[];
  roles: FakeRole[];
  projects: FakeProject[];
  /** Project permission key → names of the project roles that hold it. */
  permissionScheme: Record<string, string[]>;
  /** Global permission key → names of the groups that hold it. */
  globalPermissions: Record<string, string[]>;
  versions: FakeVersion[];
  sprints: FakeSprint[];
  fields: FakeField[];
  issues: FakeIssue[];
  filters: FakeFilter[];
};
