import { z } from 'zod';

/** Jira marks numeric ids as int64 in some places and strings in others; the app keeps them as strings. */
const idString = z.union([z.string(), z.number().int()]).transform(String);

export const issueSchema = z.looseObject({
  id: z.string(),
  key: z.string(),
  fields: z.record(z.string(), z.unknown()).default({}),
});
export type JiraIssue = z.infer<typeof issueSchema>;

export const searchResultsSchema = z.looseObject({
  issues: z.array(issueSchema).default([]),
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
});

/** A search page asked for no field: ids only. */
export const issueIdPageSchema = z.looseObject({
  issues: z.array(z.looseObject({ id: z.string() })).default([]),
  nextPageToken: z.string().nullish(),
  isLast: z.boolean().optional(),
});

/** POST /rest/api/3/issue/bulkfetch (BulkIssueResults). */
export const bulkIssueResultsSchema = z.looseObject({
  issues: z.array(issueSchema).default([]),
  issueErrors: z.array(z.unknown()).optional(),
});

export const fieldSchema = z.looseObject({
  id: z.string(),
  key: z.string().optional(),
  name: z.string(),
  custom: z.boolean().optional(),
  clauseNames: z.array(z.string()).optional(),
  navigable: z.boolean().optional(),
  searchable: z.boolean().optional(),
  orderable: z.boolean().optional(),
  schema: z
    .looseObject({
      type: z.string(),
      items: z.string().optional(),
      system: z.string().optional(),
      custom: z.string().optional(),
      customId: z.number().optional(),
    })
    .optional(),
});
export type JiraField = z.infer<typeof fieldSchema>;

export const parsedJqlQueriesSchema = z.looseObject({
  queries: z.array(
    z.looseObject({
      query: z.string(),
      errors: z.array(z.string()).default([]),
      warnings: z.array(z.string()).default([]),
      structure: z.unknown().optional(),
    }),
  ),
});
export type ParsedJql = z.infer<typeof parsedJqlQueriesSchema>['queries'][number];

export const userSchema = z.looseObject({
  accountId: z.string(),
  accountType: z.string().optional(),
  active: z.boolean().optional(),
  displayName: z.string().optional(),
  emailAddress: z.string().optional(),
  timeZone: z.string().optional(),
  locale: z.string().optional(),
});
export type JiraUser = z.infer<typeof userSchema>;

export const serverInfoSchema = z.looseObject({
  baseUrl: z.string(),
  version: z.string().optional(),
  deploymentType: z.string().optional(),
  buildNumber: z.number().optional(),
  serverTime: z.string().optional(),
  serverTimeZone: z.string().optional(),
  serverTitle: z.string().optional(),
});
export type ServerInfo = z.infer<typeof serverInfoSchema>;

export const filterSchema = z.looseObject({
  id: idString,
  name: z.string(),
  jql: z.string(),
});

export const groupNamesSchema = z.array(
  z.looseObject({
    groupId: z.string().nullish(),
    name: z.string(),
  }),
);

/** Shared shape of Jira's offset pages (PageBeanUserDetails, PageBeanProject, ...). */
export function pageSchema<T extends z.ZodType>(value: T) {
  return z.looseObject({
    values: z.array(value).default([]),
    startAt: z.number().int().optional(),
    maxResults: z.number().int().optional(),
    total: z.number().int().optional(),
    isLast: z.boolean().optional(),
  });
}

export const projectSchema = z.looseObject({
  id: idString,
  key: z.string(),
  name: z.string(),
  projectTypeKey: z.string().optional(),
  simplified: z.boolean().optional(),
  style: z.string().optional(),
  archived: z.boolean().optional(),
});
export type JiraProject = z.infer<typeof projectSchema>;

/** Role name → role URL, e.g. `{"Developers": "https://x.atlassian.net/rest/api/3/project/MKY/role/10000"}`. */
export const projectRoleUrlsSchema = z.record(z.string(), z.string());

const roleActorSchema = z.looseObject({
  type: z.string().optional(),
  name: z.string().optional(),
  displayName: z.string().optional(),
  actorUser: z.looseObject({ accountId: z.string().optional() }).optional(),
  actorGroup: z
    .looseObject({
      name: z.string().optional(),
      groupId: z.string().nullish(),
      displayName: z.string().optional(),
    })
    .optional(),
});

export const projectRoleSchema = z.looseObject({
  id: idString,
  name: z.string(),
  actors: z.array(roleActorSchema).default([]),
});

export type ProjectRole = {
  id: string;
  name: string;
  actors: {
    users: { accountId: string }[];
    groups: { name: string; groupId?: string }[];
  };
};

export type BulkPermissionsRequest = {
  accountId?: string;
  globalPermissions?: string[];
  projectPermissions?: { permissions: string[]; projects?: number[]; issues?: number[] }[];
};

export const bulkPermissionGrantsSchema = z.looseObject({
  globalPermissions: z.array(z.string()),
  projectPermissions: z.array(
    z.looseObject({
      permission: z.string(),
      projects: z.array(z.number().int()).default([]),
      issues: z.array(z.number().int()).default([]),
    }),
  ),
});
export type BulkPermissionGrants = z.infer<typeof bulkPermissionGrantsSchema>;

/** GET /rest/api/3/mypermissions: the caller's own permissions by key. */
export const myPermissionsSchema = z.looseObject({
  permissions: z.record(z.string(), z.looseObject({ havePermission: z.boolean().optional() })),
});

/** Jira's ErrorCollection; anything else in an error body is ignored. */
export const errorCollectionSchema = z.looseObject({
  errorMessages: z.array(z.string()).optional(),
  errors: z.record(z.string(), z.unknown()).optional(),
});

export const approximateCountSchema = z.looseObject({ count: z.number().int() });

/** GET /rest/api/3/groups/picker: FoundGroups. */
export const foundGroupsSchema = z.looseObject({
  groups: z.array(z.looseObject({ name: z.string(), groupId: z.string().nullish() })).default([]),
});
