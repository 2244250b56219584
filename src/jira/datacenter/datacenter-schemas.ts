import { z } from 'zod';
import { issueSchema } from '../jira-schemas.js';

/** Jira Data Center's REST API v2 and Agile 1.0 answers, as far as the app reads them. */

export const dcSearchSchema = z.looseObject({
  startAt: z.number().int().default(0),
  maxResults: z.number().int(),
  total: z.number().int(),
  issues: z.array(issueSchema).default([]),
});

/** A user names itself by `name` (the login, which admins can rename) and `key` (stable). */
export const dcUserSchema = z.looseObject({
  key: z.string().min(1),
  name: z.string().min(1),
  displayName: z.string().optional(),
  emailAddress: z.string().optional(),
  active: z.boolean().optional(),
  timeZone: z.string().optional(),
  locale: z.string().optional(),
  groups: z.looseObject({ items: z.array(z.looseObject({ name: z.string() })).default([]) }).optional(),
});
export type DcUser = z.infer<typeof dcUserSchema>;

export const dcGroupPickerSchema = z.looseObject({
  groups: z.array(z.looseObject({ name: z.string() })).default([]),
});

export const dcRoleSchema = z.looseObject({
  id: z.union([z.string(), z.number().int()]).transform(String),
  name: z.string(),
  actors: z
    .array(
      z.looseObject({ type: z.string(), name: z.string().optional(), displayName: z.string().optional() }),
    )
    .default([]),
});

export const dcSprintSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  state: z.string(),
  startDate: z.string().optional(),
  endDate: z.string().optional(),
  completeDate: z.string().optional(),
  originBoardId: z.number().int().optional(),
  goal: z.string().nullish(),
});
export type DcSprint = z.infer<typeof dcSprintSchema>;
