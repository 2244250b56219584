import { z } from 'zod';
import { DEFAULT_SIZE_BUDGET_BYTES } from './size-budget.js';
import { parseTemplate, templateJiraFields, templatePlaceholders } from './templates.js';
import { isValidTimeZone, parseWallClock } from './time-zones.js';

export { templatePlaceholders };

export const FIELD_ID_PATTERN = /^[a-z][a-zA-Z0-9_]{0,63}$/;
export const RULE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const MAX_DURATION_MINUTES = 10_080;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;

/**
 * JQL functions that resolve against the user running the query. Feeds sync as the Calendar Sync app
 * user, so these would silently match the app's own (empty) data.
 */
const USER_RELATIVE_JQL_FUNCTIONS = [
  'currentUser',
  'currentLogin',
  'lastLogin',
  'issueHistory',
  'watchedIssues',
  'votedIssues',
  'myApproval',
  'myPending',
];

const fieldId = z
  .string()
  .regex(FIELD_ID_PATTERN, 'Must be a Jira field id such as duedate or customfield_10042');
const timeZone = z
  .string()
  .trim()
  .refine(isValidTimeZone, 'Must be an IANA time zone such as Europe/Berlin or UTC');
const wallClock = z
  .string()
  .trim()
  .regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'Must be a time of day such as 09:00')
  .transform((value) => normaliseWallClock(value));
/** PostgreSQL's jsonb, where configurations live, refuses NUL characters and unpaired surrogates. */
const STORABLE_MESSAGE = 'Must not contain NUL characters or broken Unicode (unpaired surrogates)';
const storable = (value: string): boolean => value.isWellFormed() && !value.includes('\u0000');

const plainText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => !CONTROL_CHARS.test(value), 'Must not contain line breaks or control characters')
    .refine(storable, STORABLE_MESSAGE);

const durationEnd = z.object({
  type: z.literal('duration'),
  minutes: z.number().int().min(1).max(MAX_DURATION_MINUTES).default(60),
});
const durationFieldEnd = z.object({
  type: z.literal('durationField'),
  field: fieldId,
  defaultMinutes: z.number().int().min(1).max(MAX_DURATION_MINUTES).default(60),
});
const endFieldEnd = z.object({ type: z.literal('endField'), field: fieldId });
const fixedEndTimeEnd = z.object({ type: z.literal('fixedEndTime'), time: wallClock });

const endSchema = z.discriminatedUnion('type', [durationEnd, durationFieldEnd, endFieldEnd]);
const DEFAULT_END = { type: 'duration', minutes: 60 } as const;

const ruleId = z
  .string()
  .regex(
    RULE_ID_PATTERN,
    'Must be 1-32 lowercase letters, digits or dashes, starting with a letter or digit',
  );

const allDayRule = z.object({
  id: ruleId,
  kind: z.literal('allDay'),
  field: fieldId,
  timeZoneField: fieldId.optional(),
  /** Whose day a date-time falls on: the feed's zone (absent), or each subscriber's Jira profile zone. */
  dayIn: z.enum(['feed', 'subscriber']).optional(),
});
const timedRule = z.object({
  id: ruleId,
  kind: z.literal('timed'),
  field: fieldId,
  end: endSchema.prefault(DEFAULT_END),
});
const dateWithTimeRule = z.object({
  id: ruleId,
  kind: z.literal('dateWithTime'),
  field: fieldId,
  startTime: wallClock.default('09:00'),
  startTimeField: fieldId.optional(),
  timeZone: timeZone.optional(),
  end: z
    .discriminatedUnion('type', [durationEnd, durationFieldEnd, endFieldEnd, fixedEndTimeEnd])
    .prefault(DEFAULT_END),
});
const rangeRule = z.object({ id: ruleId, kind: z.literal('range'), startField: fieldId, endField: fieldId });
const sprintRule = z.object({
  id: ruleId,
  kind: z.literal('sprint'),
  field: fieldId.default('customfield_10020'),
});
const versionRule = z.object({
  id: ruleId,
  kind: z.literal('version'),
  useStartDate: z.boolean().default(false),
});

export const eventRuleSchema = z.discriminatedUnion('kind', [
  allDayRule,
  timedRule,
  dateWithTimeRule,
  rangeRule,
  sprintRule,
  versionRule,
]);

const sourceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('jql'),
    jql: z
      .string()
      .trim()
      .min(1)
      .max(10_000)
      .refine(storable, STORABLE_MESSAGE)
      .superRefine((jql, ctx) => {
        const found = findUserRelativeFunction(jql);
        if (found) {
          ctx.addIssue({
            code: 'custom',
            message:
              `${found}() cannot be used: the query runs as the Calendar Sync app user, not as you or the people ` +
              `who subscribe, so it would match the app's own data. Name the users or groups explicitly instead.`,
          });
        }
      }),
  }),
  z.object({
    type: z.literal('filter'),
    filterId: z.string().regex(/^\d{1,18}$/, 'Must be the numeric id of a saved Jira filter'),
  }),
]);

const templateSource = (max: number, fallback: string) =>
  z
    .string()
    .max(max)
    .refine(storable, STORABLE_MESSAGE)
    .default(fallback)
    .superRefine((template, ctx) => {
      const parsed = parseTemplate(template);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
    });

const contentSchema = z
  .object({
    summaryTemplate: templateSource(1000, '{key}: {summary}').refine(
      (template) => template.trim() !== '',
      'The summary template must not be empty',
    ),
    descriptionTemplate: templateSource(4000, '{status} · {assignee}'),
    categories: z.array(plainText(50)).max(10).default([]),
    transparency: z.enum(['busy', 'free']).default('free'),
    alarmMinutesBefore: z.number().int().min(0).max(40_320).nullable().default(null),
    resolved: z.enum(['show', 'mark', 'hide']).default('show'),
  })
  .transform((content) => ({
    ...content,
    templateFields: [
      ...new Set([
        ...templateJiraFields(content.summaryTemplate),
        ...templateJiraFields(content.descriptionTemplate),
      ]),
    ].sort(),
  }));

const windowSchema = z.object({
  pastDays: z.number().int().min(0).max(3650).default(30),
  futureDays: z.number().int().min(1).max(3650).default(365),
  keepUnresolvedOverdue: z.boolean().default(true),
});

const accessSchema = z
  .object({
    mode: z.enum(['none', 'all', 'groups', 'roles']).default('none'),
    groups: z
      .array(
        z.object({
          groupId: z.string().trim().min(1).max(255).refine(storable, STORABLE_MESSAGE).optional(),
          name: plainText(255),
        }),
      )
      .max(50)
      .default([]),
    roles: z
      .array(
        z.object({
          id: z
            .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,18}$/)])
            .transform((id) => String(id)),
          name: plainText(255),
        }),
      )
      .max(50)
      .default([]),
    divideByUserFields: z.array(fieldId).max(10).default([]),
    respectPermissions: z.boolean().default(false),
  })
  .superRefine((access, ctx) => {
    if (access.mode === 'groups' && access.groups.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['groups'], message: 'Choose at least one group' });
    }
    if (access.mode === 'roles' && access.roles.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['roles'], message: 'Choose at least one project role' });
    }
    reportDuplicates(access.divideByUserFields, (field) => field, ['divideByUserFields'], ctx);
  });

export const feedConfigSchema = z.object({
  name: plainText(200),
  source: sourceSchema,
  timeZone: timeZone.default('UTC'),
  rules: z
    .array(eventRuleSchema)
    .min(1, 'Add at least one event rule')
    .max(20)
    .superRefine((rules, ctx) => {
      reportDuplicates(rules, (rule) => rule.id, [], ctx, 'id');
      rules.forEach((rule, index) => {
        if (rule.kind === 'allDay' && rule.dayIn === 'subscriber' && rule.timeZoneField)
          ctx.addIssue({
            code: 'custom',
            path: [index, 'dayIn'],
            message: "Use either the subscriber's time zone or a time zone field, not both",
          });
      });
    }),
  content: contentSchema.prefault({}),
  window: windowSchema.prefault({}),
  issueCap: z.number().int().min(1).max(20_000).default(5000),
  /** Bytes the shared calendar may take (null: no limit); past it the events farthest from today are left out. */
  sizeBudget: z
    .object({
      maxBytes: z.number().int().min(20_000).max(20_000_000).nullable().default(DEFAULT_SIZE_BUDGET_BYTES),
      /** Say in the calendar's description how many events were left out. */
      note: z.boolean().default(true),
    })
    .prefault({}),
  syncIntervalMinutes: z.number().int().min(15).max(1440).default(60),
  access: accessSchema.prefault({}),
  /** When an issue leaves the feed: its events drop out at once, or stay `keepDays` days as cancelled. */
  removedIssues: z
    .object({
      mode: z.enum(['drop', 'cancel']).default('drop'),
      keepDays: z
        .number()
        .int('Must be a whole number of days')
        .min(1, 'Keep cancelled events for 1 to 30 days')
        .max(30, 'Keep cancelled events for 1 to 30 days')
        .default(7),
    })
    .prefault({}),
});

export type FeedConfig = z.infer<typeof feedConfigSchema>;
export type FeedConfigInput = z.input<typeof feedConfigSchema>;
export type EventRule = FeedConfig['rules'][number];
export type RuleEnd = z.infer<typeof endSchema> | z.infer<typeof fixedEndTimeEnd>;

export type FieldProblem = { path: string; message: string };
export type FeedConfigParseResult = { ok: true; config: FeedConfig } | { ok: false; fields: FieldProblem[] };

export function parseFeedConfig(input: unknown): FeedConfigParseResult {
  const result = feedConfigSchema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    fields: result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}

/** Exactly the issue fields a sync must request for this feed. */
export function requiredJiraFields(config: FeedConfig): string[] {
  const fields = new Set<string>(['updated', 'created', 'project', 'resolution']);
  for (const field of config.content.templateFields) fields.add(field);
  for (const field of config.access.divideByUserFields) fields.add(field);
  for (const rule of config.rules) for (const field of ruleFields(rule)) fields.add(field);
  return [...fields].sort();
}

export function ruleFields(rule: EventRule): string[] {
  switch (rule.kind) {
    case 'allDay':
      return rule.timeZoneField ? [rule.field, rule.timeZoneField] : [rule.field];
    case 'timed':
      return [rule.field, ...endFields(rule.end)];
    case 'dateWithTime':
      return [rule.field, ...(rule.startTimeField ? [rule.startTimeField] : []), ...endFields(rule.end)];
    case 'range':
      return [rule.startField, rule.endField];
    case 'sprint':
      return [rule.field];
    case 'version':
      return ['fixVersions'];
  }
}

function endFields(end: RuleEnd): string[] {
  return end.type === 'durationField' || end.type === 'endField' ? [end.field] : [];
}

/** The first user-relative JQL function called outside a quoted string, as written in the query. */
export function findUserRelativeFunction(jql: string): string | null {
  const unquoted = jql.replace(/"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?/g, (literal) =>
    ' '.repeat(literal.length),
  );
  const pattern = new RegExp(`\\b(${USER_RELATIVE_JQL_FUNCTIONS.join('|')})\\s*\\(`, 'i');
  const match = pattern.exec(unquoted);
  return match ? jql.slice(match.index, match.index + (match[1]?.length ?? 0)) : null;
}

function normaliseWallClock(value: string): string {
  const minutes = parseWallClock(value) ?? 0;
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function reportDuplicates<T>(
  items: T[],
  keyOf: (item: T) => string,
  basePath: (string | number)[],
  ctx: z.RefinementCtx,
  keyName?: string,
): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    if (seen.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [...basePath, index, ...(keyName ? [keyName] : [])],
        message: `Duplicate ${keyName ? `${keyName} ` : ''}"${key}"`,
      });
    }
    seen.add(key);
  });
}
