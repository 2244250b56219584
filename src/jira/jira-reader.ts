import type {
  BulkPermissionGrants,
  BulkPermissionsRequest,
  JiraField,
  JiraIssue,
  JiraProject,
  JiraUser,
  ParsedJql,
  ProjectRole,
  ServerInfo,
} from './jira-schemas.js';

/**
 * What the core reads from Jira, whichever edition answers: Jira Cloud's REST API v3 (`JiraClient`) or
 * Jira Data Center's v2 (`DataCenterJiraClient`). Users are named by `accountId`: Cloud's account id, or
 * on Data Center the user key (stable across renames), which the DC client puts where Cloud has it.
 */
export interface JiraReader {
  /** What this edition can answer at all; the core refuses what it cannot. */
  readonly capabilities: {
    /** Whether the app may ask which issues another user can browse (Cloud's /permissions/check). */
    readonly permissionChecksForOthers: boolean;
  };
  searchPages(params: {
    jql: string;
    fields: string[];
    pageSize?: number;
    signal?: AbortSignal;
  }): AsyncGenerator<JiraIssue[]>;
  searchIssueIds(params: { jql: string; signal?: AbortSignal }): AsyncGenerator<string[]>;
  bulkFetch(ids: readonly string[], fields: string[], signal?: AbortSignal): Promise<JiraIssue[]>;
  getFields(): Promise<JiraField[]>;
  parseJql(queries: string[]): Promise<ParsedJql[]>;
  approximateCount(jql: string): Promise<number>;
  findGroups(query: string, maxResults?: number): Promise<{ groupId: string | null; name: string }[]>;
  getMyself(): Promise<JiraUser>;
  getServerInfo(): Promise<ServerInfo>;
  getFilter(id: string): Promise<{ id: string; name: string; jql: string }>;
  getUser(accountId: string): Promise<JiraUser | null>;
  getUserGroups(accountId: string): Promise<{ groupId?: string; name: string }[]>;
  listProjects(): AsyncGenerator<JiraProject[]>;
  getProjectRoles(projectIdOrKey: string): Promise<{ name: string; id: string }[]>;
  getProjectRole(projectIdOrKey: string, roleId: string): Promise<ProjectRole>;
  getMyPermissions(keys: string[]): Promise<Set<string>>;
  checkPermissions(body: BulkPermissionsRequest): Promise<BulkPermissionGrants>;
}
