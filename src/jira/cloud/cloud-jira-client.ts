import type { z } from 'zod';
import { inBatches } from '../batches.js';
import { JiraError } from '../jira-error.js';
import type { JiraReader } from '../jira-reader.js';
import {
  approximateCountSchema,
  bulkIssueResultsSchema,
  bulkPermissionGrantsSchema,
  fieldSchema,
  foundGroupsSchema,
  groupNamesSchema,
  issueIdPageSchema,
  pageSchema,
  parsedJqlQueriesSchema,
  projectRoleSchema,
  projectRoleUrlsSchema,
  projectSchema,
  searchResultsSchema,
  userSchema,
  type BulkPermissionGrants,
  type BulkPermissionsRequest,
  type JiraField,
  type JiraIssue,
  type JiraProject,
  type JiraUser,
  type ParsedJql,
  type ProjectRole,
  type ServerInfo,
} from '../jira-schemas.js';
import { JiraRestClient } from '../jira-rest-client.js';
import type { Query } from '../jira-transport.js';

export { type JiraClientOptions, type JiraSite } from '../jira-transport.js';

const DEFAULT_SEARCH_PAGE_SIZE = 100;
const ID_SEARCH_PAGE_SIZE = 5000;
const BULK_FETCH_SIZE = 100;
const PROJECT_PAGE_SIZE = 50;

/** Jira Cloud's REST API v3 for one site, acting as the app itself (or as a user, with a user token). */
export class JiraClient extends JiraRestClient implements JiraReader {
  protected readonly api = '/rest/api/3';
  readonly capabilities = { permissionChecksForOthers: true } as const;

  /** Issues matching `jql`, one page at a time; empty pages are skipped. */
  async *searchPages(params: {
    jql: string;
    fields: string[];
    pageSize?: number;
    signal?: AbortSignal;
  }): AsyncGenerator<JiraIssue[]> {
    if (params.fields.length === 0 || params.fields.some((field) => field.startsWith('*'))) {
      throw new TypeError('searchPages needs an explicit list of fields');
    }
    yield* this.search(
      params.jql,
      params.fields,
      params.pageSize ?? DEFAULT_SEARCH_PAGE_SIZE,
      searchResultsSchema,
      params.signal,
    );
  }

  /** Ids of the issues matching `jql`: with no field asked for, Jira pages 5,000 at a time instead of 100. */
  async *searchIssueIds(params: { jql: string; signal?: AbortSignal }): AsyncGenerator<string[]> {
    for await (const page of this.search(
      params.jql,
      ['id'],
      ID_SEARCH_PAGE_SIZE,
      issueIdPageSchema,
      params.signal,
    )) {
      yield page.map((issue) => issue.id);
    }
  }

  /**
   * The issues with these ids, 100 per request (POST /rest/api/3/issue/bulkfetch, a few in flight), in the
   * order asked; ids Jira cannot show are left out.
   */
  async bulkFetch(ids: readonly string[], fields: string[], signal?: AbortSignal): Promise<JiraIssue[]> {
    if (fields.length === 0 || fields.some((field) => field.startsWith('*'))) {
      throw new TypeError('bulkFetch needs an explicit list of fields');
    }
    return inBatches(ids, BULK_FETCH_SIZE, async (batch) => {
      const result = await this.send({
        method: 'POST',
        path: '/rest/api/3/issue/bulkfetch',
        body: { issueIdsOrKeys: batch, fields },
        schema: bulkIssueResultsSchema,
        signal,
      });
      return result.issues;
    });
  }

  private async *search<
    S extends z.ZodType<{
      issues: unknown[];
      nextPageToken?: string | null | undefined;
      isLast?: boolean | undefined;
    }>,
  >(
    jql: string,
    fields: string[],
    pageSize: number,
    schema: S,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<z.output<S>['issues']> {
    const path = '/rest/api/3/search/jql';
    const seenTokens = new Set<string>();
    let nextPageToken: string | undefined;
    for (;;) {
      // POST: a JQL near Jira's 10,000-character limit would make a GET query string no server takes.
      const page = await this.send({
        method: 'POST',
        path,
        body: {
          jql,
          fields,
          maxResults: pageSize,
          ...(nextPageToken === undefined ? {} : { nextPageToken }),
        },
        schema,
        signal,
      });
      if (page.issues.length > 0) yield page.issues;
      const token = page.nextPageToken ?? undefined;
      if (page.isLast === true || token === undefined || token === '') return;
      if (seenTokens.has(token)) {
        throw new JiraError(
          502,
          'jira_bad_response',
          { method: 'POST', path, dialect: this.dialect },
          {
            retryable: true,
            detail: 'Jira returned a nextPageToken it had already returned',
          },
        );
      }
      seenTokens.add(token);
      nextPageToken = token;
    }
  }

  getFields(): Promise<JiraField[]> {
    return this.send({ method: 'GET', path: '/rest/api/3/field', schema: fieldSchema.array() });
  }

  async parseJql(queries: string[]): Promise<ParsedJql[]> {
    if (queries.length === 0) return [];
    const result = await this.send({
      method: 'POST',
      path: '/rest/api/3/jql/parse',
      query: { validation: 'strict' },
      body: { queries },
      schema: parsedJqlQueriesSchema,
    });
    return result.queries;
  }

  /** Jira's estimate of how many issues match (POST /rest/api/3/search/approximate-count). */
  async approximateCount(jql: string): Promise<number> {
    const result = await this.send({
      method: 'POST',
      path: '/rest/api/3/search/approximate-count',
      body: { jql },
      schema: approximateCountSchema,
    });
    return result.count;
  }

  async findGroups(query: string, maxResults = 20): Promise<{ groupId: string | null; name: string }[]> {
    const result = await this.send({
      method: 'GET',
      path: '/rest/api/3/groups/picker',
      query: { query, maxResults },
      schema: foundGroupsSchema,
    });
    return result.groups.map((group) => ({ groupId: group.groupId ?? null, name: group.name }));
  }

  getMyself(): Promise<JiraUser> {
    return this.send({ method: 'GET', path: '/rest/api/3/myself', schema: userSchema });
  }

  /** Null when Jira does not know the account. */
  async getUser(accountId: string): Promise<JiraUser | null> {
    try {
      return await this.send({
        method: 'GET',
        path: '/rest/api/3/user',
        query: { accountId },
        schema: userSchema,
      });
    } catch (error) {
      if (error instanceof JiraError && error.jiraStatus === 404) return null;
      throw error;
    }
  }

  async getUserGroups(accountId: string): Promise<{ groupId?: string; name: string }[]> {
    const groups = await this.send({
      method: 'GET',
      path: '/rest/api/3/user/groups',
      query: { accountId },
      schema: groupNamesSchema,
    });
    return groups.map((group) =>
      group.groupId ? { groupId: group.groupId, name: group.name } : { name: group.name },
    );
  }

  listProjects(): AsyncGenerator<JiraProject[]> {
    return this.offsetPages('/rest/api/3/project/search', {}, projectSchema, PROJECT_PAGE_SIZE);
  }

  async getProjectRoles(projectIdOrKey: string): Promise<{ name: string; id: string }[]> {
    const path = `/rest/api/3/project/${encodeURIComponent(projectIdOrKey)}/role`;
    const roles = await this.send({ method: 'GET', path, schema: projectRoleUrlsSchema });
    return Object.entries(roles).map(([name, url]) => {
      const id = /\/role\/(\d+)\/?$/.exec(url)?.[1];
      if (id === undefined) {
        throw new JiraError(
          502,
          'jira_bad_response',
          { method: 'GET', path, dialect: this.dialect },
          {
            retryable: true,
            detail: `no role id in the URL of role "${name}"`,
          },
        );
      }
      return { name, id };
    });
  }

  async getProjectRole(projectIdOrKey: string, roleId: string): Promise<ProjectRole> {
    const role = await this.send({
      method: 'GET',
      path: `/rest/api/3/project/${encodeURIComponent(projectIdOrKey)}/role/${encodeURIComponent(roleId)}`,
      query: { excludeInactiveUsers: true },
      schema: projectRoleSchema,
    });
    const users: ProjectRole['actors']['users'] = [];
    const groups: ProjectRole['actors']['groups'] = [];
    for (const actor of role.actors) {
      const accountId = actor.actorUser?.accountId;
      if (accountId) {
        users.push({ accountId });
        continue;
      }
      if (actor.actorGroup === undefined && actor.type !== 'atlassian-group-role-actor') continue;
      const name = actor.actorGroup?.name ?? actor.name ?? actor.actorGroup?.displayName;
      const groupId = actor.actorGroup?.groupId;
      if (name) groups.push(groupId ? { name, groupId } : { name });
    }
    return { id: role.id, name: role.name, actors: { users, groups } };
  }

  checkPermissions(body: BulkPermissionsRequest): Promise<BulkPermissionGrants> {
    return this.send({
      method: 'POST',
      path: '/rest/api/3/permissions/check',
      body,
      schema: bulkPermissionGrantsSchema,
    });
  }

  private async *offsetPages<S extends z.ZodType>(
    path: string,
    query: Query,
    itemSchema: S,
    pageSize: number,
  ): AsyncGenerator<z.output<S>[]> {
    const schema = pageSchema(itemSchema);
    let startAt = 0;
    for (;;) {
      const page = await this.send({
        method: 'GET',
        path,
        query: { ...query, startAt, maxResults: pageSize },
        schema,
      });
      const values = page.values as z.output<S>[];
      if (values.length > 0) yield values;
      startAt += values.length;
      if (page.isLast === true || values.length === 0) return;
      if (page.isLast === undefined && page.total !== undefined && startAt >= page.total) return;
    }
  }
}

export type { JiraIssue, JiraField, JiraUser, JiraProject, ParsedJql, ProjectRole, ServerInfo };
export type { BulkPermissionsRequest, BulkPermissionGrants };
