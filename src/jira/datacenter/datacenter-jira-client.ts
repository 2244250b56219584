import { AppError } from '../../errors.js';
import { inBatches } from '../batches.js';
import type { JiraAuth } from '../jira-auth.js';
import { isJiraError, JiraError } from '../jira-error.js';
import type { JiraReader } from '../jira-reader.js';
import {
  fieldSchema,
  projectRoleUrlsSchema,
  projectSchema,
  type BulkPermissionGrants,
  type JiraField,
  type JiraIssue,
  type JiraProject,
  type JiraUser,
  type ParsedJql,
  type ProjectRole,
} from '../jira-schemas.js';
import { JiraRestClient } from '../jira-rest-client.js';
import type { JiraClientOptions, RequestSpec } from '../jira-transport.js';
import {
  type DcSprint,
  dcGroupPickerSchema,
  dcRoleSchema,
  dcSearchSchema,
  dcSprintSchema,
  dcUserSchema,
  type DcUser,
} from './datacenter-schemas.js';

/**
 * A Data Center credential that can be renewed: on Jira's 401 the client asks once for a new access
 * token and retries; when that is refused too, `refused()` says what the person must do.
 */
export type DataCenterAuth = JiraAuth & {
  renew(): Promise<void>;
  refused(): AppError;
};

const SEARCH_PAGE_SIZE = 100;
/** Data Center's default cap on one search page (jira.search.views.default.max). */
const ID_PAGE_SIZE = 1000;
const ID_BATCH = 100;
const SPRINT_TEXT = /^com\.atlassian\.greenhopper\.service\.sprint\.Sprint@[0-9a-f]*\[(.*)\]$/s;

/** A user as the core names users: the stable key takes Cloud's accountId place. */
const asJiraUser = (user: DcUser): JiraUser => ({
  ...user,
  accountId: user.key,
  ...(user.active === undefined ? {} : { active: user.active }),
});

/**
 * Jira Data Center's REST API v2 (and Agile 1.0 for sprints) for one instance, as one signed-in user:
 * the same JiraReader the Cloud client is, with DC's offset paging, user keys for account ids and
 * sprints read from the agile API. Every answer is what that user may see in Jira.
 */
export class DataCenterJiraClient extends JiraRestClient implements JiraReader {
  protected readonly api = '/rest/api/2';
  readonly capabilities = { permissionChecksForOthers: false } as const;
  private readonly auth: DataCenterAuth | JiraAuth;
  private readonly sprints = new Map<number, Promise<DcSprint | null>>();
  private readonly keysByName = new Map<string, Promise<string | null>>();

  constructor(site: { clientKey: string; auth: DataCenterAuth | JiraAuth }, options: JiraClientOptions) {
    super(site, options);
    this.auth = site.auth;
  }

  protected override async send<T>(spec: RequestSpec<T>): Promise<T> {
    try {
      return await super.send(spec);
    } catch (error) {
      if (!(isJiraError(error) && error.jiraStatus === 401 && 'renew' in this.auth)) throw error;
      await this.auth.renew();
      try {
        return await super.send(spec);
      } catch (again) {
        if (isJiraError(again) && again.jiraStatus === 401) throw this.auth.refused();
        throw again;
      }
    }
  }

  async *searchPages(params: {
    jql: string;
    fields: string[];
    pageSize?: number;
    signal?: AbortSignal;
  }): AsyncGenerator<JiraIssue[]> {
    if (params.fields.length === 0 || params.fields.some((field) => field.startsWith('*'))) {
      throw new TypeError('searchPages needs an explicit list of fields');
    }
    for await (const page of this.search(
      params.jql,
      params.fields,
      params.pageSize ?? SEARCH_PAGE_SIZE,
      params.signal,
    )) {
      yield await Promise.all(page.map((issue) => this.normaliseIssue(issue)));
    }
  }

  async *searchIssueIds(params: { jql: string; signal?: AbortSignal }): AsyncGenerator<string[]> {
    for await (const page of this.search(params.jql, ['id'], ID_PAGE_SIZE, params.signal))
      yield page.map((issue) => issue.id);
  }

  /** Data Center has no bulk fetch: a search by id, 100 ids at a time, a few in flight. */
  async bulkFetch(ids: readonly string[], fields: string[], signal?: AbortSignal): Promise<JiraIssue[]> {
    const numeric = ids.filter((id) => /^\d+$/.test(id));
    return inBatches(numeric, ID_BATCH, async (batch) => {
      const issues: JiraIssue[] = [];
      for await (const page of this.searchPages({
        jql: `id in (${batch.join(',')})`,
        fields,
        pageSize: ID_BATCH,
        ...(signal ? { signal } : {}),
      })) {
        issues.push(...page);
      }
      return issues;
    });
  }

  private async *search(
    jql: string,
    fields: string[],
    pageSize: number,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<JiraIssue[]> {
    let startAt = 0;
    for (;;) {
      // POST: a JQL near the length limit would make a GET query string no proxy takes.
      const page = await this.send({
        method: 'POST',
        path: '/rest/api/2/search',
        body: { jql, startAt, maxResults: pageSize, fields },
        schema: dcSearchSchema,
        signal,
      });
      if (page.issues.length > 0) yield page.issues;
      startAt += page.issues.length;
      if (page.issues.length === 0 || startAt >= page.total) return;
    }
  }

  getFields(): Promise<JiraField[]> {
    return this.send({ method: 'GET', path: '/rest/api/2/field', schema: fieldSchema.array() });
  }

  /** Data Center has no JQL parser endpoint: an empty strict search says whether Jira takes the query. */
  async parseJql(queries: string[]): Promise<ParsedJql[]> {
    const results: ParsedJql[] = [];
    for (const query of queries) {
      try {
        await this.send({
          method: 'POST',
          path: '/rest/api/2/search',
          body: { jql: query, startAt: 0, maxResults: 0, fields: ['id'], validateQuery: 'strict' },
          schema: dcSearchSchema,
        });
        results.push({ query, errors: [], warnings: [] });
      } catch (error) {
        if (!(isJiraError(error) && error.jiraStatus === 400)) throw error;
        results.push({
          query,
          errors: error.jiraMessages.length > 0 ? error.jiraMessages : ['Jira rejected the query'],
          warnings: [],
        });
      }
    }
    return results;
  }

  async approximateCount(jql: string): Promise<number> {
    const page = await this.send({
      method: 'POST',
      path: '/rest/api/2/search',
      body: { jql, startAt: 0, maxResults: 0, fields: ['id'] },
      schema: dcSearchSchema,
    });
    return page.total;
  }

  async findGroups(query: string, maxResults = 20): Promise<{ groupId: string | null; name: string }[]> {
    const result = await this.send({
      method: 'GET',
      path: '/rest/api/2/groups/picker',
      query: { query, maxResults },
      schema: dcGroupPickerSchema,
    });
    return result.groups.map((group) => ({ groupId: null, name: group.name }));
  }

  async getMyself(): Promise<JiraUser> {
    return asJiraUser(await this.send({ method: 'GET', path: '/rest/api/2/myself', schema: dcUserSchema }));
  }

  /** `accountId` is the user key here. */
  async getUser(accountId: string): Promise<JiraUser | null> {
    const user = await this.findUser({ key: accountId });
    return user ? asJiraUser(user) : null;
  }

  async getUserGroups(accountId: string): Promise<{ name: string }[]> {
    const user = await this.findUser({ key: accountId, expand: 'groups' });
    if (!user)
      throw new JiraError(
        404,
        'jira_error',
        { method: 'GET', path: '/rest/api/2/user', dialect: this.dialect },
        { retryable: false, detail: 'no such user' },
      );
    return (user.groups?.items ?? []).map((group) => ({ name: group.name }));
  }

  private async findUser(query: {
    key?: string;
    username?: string;
    expand?: string;
  }): Promise<DcUser | null> {
    try {
      return await this.send({ method: 'GET', path: '/rest/api/2/user', query, schema: dcUserSchema });
    } catch (error) {
      if (isJiraError(error) && error.jiraStatus === 404) return null;
      throw error;
    }
  }

  /** Data Center lists every project the user may browse in one answer. */
  async *listProjects(): AsyncGenerator<JiraProject[]> {
    const projects = await this.send({
      method: 'GET',
      path: '/rest/api/2/project',
      schema: projectSchema.array(),
    });
    if (projects.length > 0) yield projects;
  }

  async getProjectRoles(projectIdOrKey: string): Promise<{ name: string; id: string }[]> {
    const path = `/rest/api/2/project/${encodeURIComponent(projectIdOrKey)}/role`;
    const roles = await this.send({ method: 'GET', path, schema: projectRoleUrlsSchema });
    return Object.entries(roles).flatMap(([name, url]) => {
      const id = /\/role\/(\d+)\/?$/.exec(url)?.[1];
      return id === undefined ? [] : [{ name, id }];
    });
  }

  /** Role actors name users by login; the core keys them by user key, which Jira is asked for once per login. */
  async getProjectRole(projectIdOrKey: string, roleId: string): Promise<ProjectRole> {
    const role = await this.send({
      method: 'GET',
      path: `/rest/api/2/project/${encodeURIComponent(projectIdOrKey)}/role/${encodeURIComponent(roleId)}`,
      schema: dcRoleSchema,
    });
    const users: ProjectRole['actors']['users'] = [];
    const groups: ProjectRole['actors']['groups'] = [];
    for (const actor of role.actors) {
      if (!actor.name) continue;
      if (actor.type === 'atlassian-group-role-actor') groups.push({ name: actor.name });
      else if (actor.type === 'atlassian-user-role-actor') {
        const key = await this.keyOf(actor.name);
        if (key) users.push({ accountId: key });
      }
    }
    return { id: role.id, name: role.name, actors: { users, groups } };
  }

  private keyOf(username: string): Promise<string | null> {
    let key = this.keysByName.get(username);
    if (!key) {
      key = this.findUser({ username }).then((user) => user?.key ?? null);
      this.keysByName.set(username, key);
    }
    return key;
  }

  checkPermissions(): Promise<BulkPermissionGrants> {
    return Promise.reject(
      new AppError(
        400,
        'not_on_datacenter',
        'Jira Data Center cannot tell the app what another user may browse',
      ),
    );
  }

  /** Cloud's shapes for what v2 spells differently: user keys as account ids, sprints as objects. */
  private async normaliseIssue(issue: JiraIssue): Promise<JiraIssue> {
    const fields: Record<string, unknown> = {};
    for (const [id, value] of Object.entries(issue.fields)) fields[id] = await this.normaliseValue(value, 0);
    return { ...issue, fields };
  }

  private async normaliseValue(value: unknown, depth: number): Promise<unknown> {
    if (depth > 6 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      if (value.length > 0 && value.every((item) => typeof item === 'string' && SPRINT_TEXT.test(item))) {
        const sprints = await Promise.all((value as string[]).map((text) => this.sprintFromText(text)));
        return sprints.filter((sprint) => sprint !== null);
      }
      return Promise.all(value.map((item) => this.normaliseValue(item, depth + 1)));
    }
    const record = value as Record<string, unknown>;
    const user = dcUserSchema.safeParse(record);
    if (user.success && typeof record['self'] === 'string' && record['self'].includes('/rest/api/2/user?')) {
      return { ...record, accountId: user.data.key };
    }
    return value;
  }

  /** `…Sprint@1f2e[id=7,rapidViewId=3,state=ACTIVE,name=…]`: the id is all the app trusts; Agile has the rest. */
  private async sprintFromText(text: string): Promise<Record<string, unknown> | null> {
    const id = Number(/(?:^|,)id=(\d+)(?:,|$)/.exec(SPRINT_TEXT.exec(text)?.[1] ?? '')?.[1]);
    if (!Number.isInteger(id)) return null;
    let sprint = this.sprints.get(id);
    if (!sprint) {
      sprint = this.send({
        method: 'GET',
        path: `/rest/agile/1.0/sprint/${id}`,
        schema: dcSprintSchema,
      }).catch((error: unknown) => {
        if (isJiraError(error) && error.jiraStatus === 404) return null;
        throw error;
      });
      this.sprints.set(id, sprint);
    }
    const found = await sprint;
    if (!found) return null;
    return {
      id: found.id,
      name: found.name,
      state: found.state.toLowerCase(),
      ...(found.originBoardId === undefined ? {} : { boardId: found.originBoardId }),
      ...(found.startDate ? { startDate: found.startDate } : {}),
      ...(found.endDate ? { endDate: found.endDate } : {}),
      ...(found.completeDate ? { completeDate: found.completeDate } : {}),
      goal: found.goal ?? '',
    };
  }
}
