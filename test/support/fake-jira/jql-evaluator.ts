import { ISSUE_TYPES, PRIORITIES, RESOLUTIONS, STATUS_CATEGORIES, STATUSES } from './fake-jira-catalog.js';
import type { FakeField, FakeIssue, FakeJiraData } from './fake-jira-types.js';
import { fromWallClock, parseJiraDate, parseJiraDateTime, toWallClock } from './jira-time.js';
import {
  parseJql,
  type JqlClause,
  type JqlNode,
  type JqlOperand,
  type JqlQuery,
  type JqlSort,
} from './jql-parser.js';

/**
 * Evaluates parsed JQL against the fake's issues. As in Jira, date literals, date functions and date-only
 * fields are read in the searching user's time zone, and `!=` / `NOT IN` never match an empty field.
 */

export type JqlContext = { data: FakeJiraData; now: Date; currentAccountId: string; timeZone: string };

export type CompiledJql = {
  matches: (issue: FakeIssue) => boolean;
  compare: (a: FakeIssue, b: FakeIssue) => number;
  /** Jira's enhanced search rejects queries without a search restriction. */
  bounded: boolean;
};

export class JqlValidationError extends Error {
  constructor(readonly messages: string[]) {
    super(messages.join(' '));
    this.name = 'JqlValidationError';
  }
}

type Kind =
  'text' | 'option' | 'user' | 'date' | 'datetime' | 'number' | 'labels' | 'issuekey' | 'sprint' | 'version';
type Scalar = string | number;
/** Stands for EMPTY inside an IN list (and for `resolution = Unresolved`). */
const EMPTY = Symbol('empty');
type Resolved = Scalar | typeof EMPTY;

type FieldSpec = {
  label: string;
  kind: Kind;
  read: (issue: FakeIssue) => Scalar[];
  /** Canonical values named by a literal; null when no such value exists. */
  resolve?: (literal: string) => Resolved[] | null;
  sortKey?: (issue: FakeIssue) => Scalar | null;
};

const EQUALITY = new Set(['=', '!=', 'in', 'not in', 'is', 'is not']);
const RANGE = new Set(['>', '>=', '<', '<=']);
const OPERATORS_BY_KIND: Record<Kind, (op: string) => boolean> = {
  text: (op) => op === '~' || op === '!~' || op === 'is' || op === 'is not',
  option: (op) => EQUALITY.has(op),
  user: (op) => EQUALITY.has(op),
  labels: (op) => EQUALITY.has(op),
  sprint: (op) => EQUALITY.has(op),
  version: (op) => EQUALITY.has(op),
  date: (op) => EQUALITY.has(op) || RANGE.has(op),
  datetime: (op) => EQUALITY.has(op) || RANGE.has(op),
  number: (op) => EQUALITY.has(op) || RANGE.has(op),
  issuekey: (op) => EQUALITY.has(op) || RANGE.has(op),
};

const DATE_FORMATS =
  "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.";
const KEY_PATTERN = /^([A-Z][A-Z0-9_]*)-(\d+)$/i;
const DAY = 86_400_000;
const PERIOD_MS: Record<string, number> = { w: 7 * DAY, d: DAY, h: 3_600_000, m: 60_000 };

const byIdOrName = <T extends { id: string; name: string }>(
  items: readonly T[],
  literal: string,
): T | undefined =>
  items.find((item) => item.id === literal || item.name.toLowerCase() === literal.toLowerCase());

export function compileJql(query: JqlQuery, ctx: JqlContext): CompiledJql {
  const errors: string[] = [];
  const matches = query.where ? compileNode(query.where, ctx, errors) : () => true;
  const compare = compileOrder(query.orderBy, ctx, errors);
  if (errors.length > 0) throw new JqlValidationError([...new Set(errors)]);
  return { matches, compare, bounded: query.where !== null };
}

/** Parses, validates, filters and sorts. Throws JqlSyntaxError or JqlValidationError. */
export function searchIssues(jql: string, ctx: JqlContext, issues = ctx.data.issues): FakeIssue[] {
  const compiled = compileJql(parseJql(jql), ctx);
  return issues.filter(compiled.matches).sort(compiled.compare);
}

function compileNode(node: JqlNode, ctx: JqlContext, errors: string[]): (issue: FakeIssue) => boolean {
  switch (node.kind) {
    case 'and': {
      const parts = node.children.map((child) => compileNode(child, ctx, errors));
      return (issue) => parts.every((part) => part(issue));
    }
    case 'or': {
      const parts = node.children.map((child) => compileNode(child, ctx, errors));
      return (issue) => parts.some((part) => part(issue));
    }
    case 'not': {
      const inner = compileNode(node.child, ctx, errors);
      return (issue) => !inner(issue);
    }
    case 'clause':
      return compileClause(node, ctx, errors) ?? (() => false);
  }
}

function compileClause(
  clause: JqlClause,
  ctx: JqlContext,
  errors: string[],
): ((issue: FakeIssue) => boolean) | null {
  const spec = fieldSpec(clause.field, ctx);
  if (!spec) {
    errors.push(`Field '${clause.field}' does not exist or you do not have permission to view it.`);
    return null;
  }
  const { operator: op, operand } = clause;
  if (!OPERATORS_BY_KIND[spec.kind](op)) {
    errors.push(`The operator '${op.toUpperCase()}' is not supported by the '${spec.label}' field.`);
    return null;
  }
  if ((op === 'is' || op === 'is not') !== (operand.kind === 'empty')) {
    if (op === 'is' || op === 'is not') {
      errors.push(
        `The operator '${op.toUpperCase()}' only supports the 'EMPTY' value for the '${spec.label}' field.`,
      );
      return null;
    }
    if (op !== '=' && op !== '!=') {
      errors.push(
        `The operator '${op.toUpperCase()}' does not support the 'EMPTY' value for the '${spec.label}' field.`,
      );
      return null;
    }
  }
  if (operand.kind === 'empty') {
    const wantEmpty = op === 'is' || op === '=';
    return (issue) => (spec.read(issue).length === 0) === wantEmpty;
  }
  if (op === '~' || op === '!~') {
    if (operand.kind !== 'value') {
      errors.push(`The operator '${op}' does not support lists or functions for the '${spec.label}' field.`);
      return null;
    }
    const words = operand.value
      .toLowerCase()
      .replace(/\*/g, '')
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean);
    const contains = (issue: FakeIssue): boolean =>
      spec.read(issue).some((text) => words.every((word) => String(text).toLowerCase().includes(word)));
    return op === '~' ? contains : (issue) => spec.read(issue).length > 0 && !contains(issue);
  }
  if (operand.kind === 'list' && (op === '=' || op === '!=' || RANGE.has(op))) {
    errors.push(`The operator '${op}' does not support the list value for the '${spec.label}' field.`);
    return null;
  }

  if (spec.kind === 'issuekey' && RANGE.has(op)) return rangeOnIssueKey(op, operand, spec.label, ctx, errors);

  const values = resolveOperand(operand, spec, ctx, errors);
  if (!values) return null;

  if (RANGE.has(op)) {
    const bound = values[0];
    if (values.length !== 1 || typeof bound !== 'number') {
      errors.push(`The operator '${op}' needs a single value for the '${spec.label}' field.`);
      return null;
    }
    const test = rangeTest(op, bound);
    return (issue) => spec.read(issue).some((value) => typeof value === 'number' && test(value));
  }

  const wanted = new Set<Resolved>(
    values.map((value) => (typeof value === 'string' ? value.toLowerCase() : value)),
  );
  const has = (issue: FakeIssue): boolean => {
    const actual = spec.read(issue);
    if (actual.length === 0) return wanted.has(EMPTY);
    return actual.some((value) => wanted.has(typeof value === 'string' ? value.toLowerCase() : value));
  };
  if (op === '=' || op === 'in') return has;
  return (issue) => spec.read(issue).length > 0 && !has(issue);
}

function rangeTest(op: string, bound: number): (value: number) => boolean {
  if (op === '>') return (value) => value > bound;
  if (op === '>=') return (value) => value >= bound;
  if (op === '<') return (value) => value < bound;
  return (value) => value <= bound;
}

/** `key > CAL-5` compares issue numbers within CAL; `id > 10005` compares ids. */
function rangeOnIssueKey(
  op: string,
  operand: JqlOperand,
  label: string,
  ctx: JqlContext,
  errors: string[],
): ((issue: FakeIssue) => boolean) | null {
  const literal = operand.kind === 'value' ? operand.value : '';
  if (/^\d+$/.test(literal)) {
    const test = rangeTest(op, Number(literal));
    return (issue) => test(Number(issue.id));
  }
  const key = KEY_PATTERN.exec(literal);
  const project = key && ctx.data.projects.find((p) => p.key.toLowerCase() === key[1]!.toLowerCase());
  if (!key || !project) {
    errors.push(`The issue key '${literal}' for field '${label}' is invalid.`);
    return null;
  }
  const test = rangeTest(op, Number(key[2]));
  return (issue) => issue.projectKey === project.key && test(issueNumber(issue));
}

function resolveOperand(
  operand: JqlOperand,
  spec: FieldSpec,
  ctx: JqlContext,
  errors: string[],
): Resolved[] | null {
  switch (operand.kind) {
    case 'empty':
      return [EMPTY];
    case 'list': {
      const parts = operand.items.map((item) => resolveOperand(item, spec, ctx, errors));
      return parts.every((part) => part !== null) ? parts.flat() : null;
    }
    case 'function':
      return callFunction(operand.name, operand.args, spec, ctx, errors);
    case 'value': {
      if (spec.kind === 'date' || spec.kind === 'datetime') {
        const instant = parseDateOperand(operand.value, ctx);
        if (instant === null) {
          errors.push(`Date value '${operand.value}' for field '${spec.label}' is invalid. ${DATE_FORMATS}`);
        }
        return instant === null ? null : [instant];
      }
      if (spec.kind === 'number') {
        const number = Number(operand.value);
        if (operand.value.trim() === '' || Number.isNaN(number)) {
          errors.push(`The value '${operand.value}' is invalid for the field '${spec.label}'.`);
          return null;
        }
        return [number];
      }
      if (!spec.resolve) return [operand.value];
      const resolved = spec.resolve(operand.value);
      if (resolved === null || resolved.length === 0) {
        errors.push(
          spec.kind === 'issuekey'
            ? `An issue with key '${operand.value}' does not exist for field '${spec.label}'.`
            : `The value '${operand.value}' does not exist for the field '${spec.label}'.`,
        );
        return null;
      }
      return resolved;
    }
  }
}

const DATE_FUNCTIONS: Record<string, { unit: string; start: boolean } | null> = {
  now: null,
  startofday: { unit: 'd', start: true },
  endofday: { unit: 'd', start: false },
  startofweek: { unit: 'w', start: true },
  endofweek: { unit: 'w', start: false },
  startofmonth: { unit: 'M', start: true },
  endofmonth: { unit: 'M', start: false },
  startofyear: { unit: 'y', start: true },
  endofyear: { unit: 'y', start: false },
};
const USER_FUNCTIONS = new Set(['currentuser', 'membersof']);
const SPRINT_FUNCTIONS: Record<string, readonly string[]> = {
  opensprints: ['active', 'future'],
  closedsprints: ['closed'],
  futuresprints: ['future'],
};

function callFunction(
  name: string,
  args: string[],
  spec: FieldSpec,
  ctx: JqlContext,
  errors: string[],
): Resolved[] | null {
  const lower = name.toLowerCase();
  const known = lower in DATE_FUNCTIONS || USER_FUNCTIONS.has(lower) || lower in SPRINT_FUNCTIONS;
  if (!known) {
    errors.push(`Unable to find JQL function '${name}(${args.join(', ')})'.`);
    return null;
  }
  const fits =
    ((spec.kind === 'date' || spec.kind === 'datetime') && lower in DATE_FUNCTIONS) ||
    (spec.kind === 'user' && USER_FUNCTIONS.has(lower)) ||
    (spec.kind === 'sprint' && lower in SPRINT_FUNCTIONS);
  if (!fits) {
    errors.push(`A value provided by the function '${name}' is invalid for the field '${spec.label}'.`);
    return null;
  }
  if (lower === 'currentuser') return [ctx.currentAccountId];
  if (lower === 'membersof') {
    const group = ctx.data.groups.find(
      (candidate) => candidate.name.toLowerCase() === (args[0] ?? '').toLowerCase(),
    );
    if (!group) {
      errors.push(
        `Function 'membersOf' can not generate a list of usernames for group '${args[0] ?? ''}'; the group does not exist.`,
      );
    }
    return group ? [...group.members] : null;
  }
  const states = SPRINT_FUNCTIONS[lower];
  if (states) {
    return ctx.data.sprints.filter((sprint) => states.includes(sprint.state)).map((sprint) => sprint.id);
  }
  const boundary = DATE_FUNCTIONS[lower];
  if (!boundary) return [ctx.now.getTime()];
  const wallNow = new Date(toWallClock(ctx.now.getTime(), ctx.timeZone));
  const shifted = args[0] === undefined ? wallNow : shiftBy(wallNow, args[0], boundary.unit);
  if (!shifted) {
    errors.push(`The function '${name}' does not support the increment '${args[0] ?? ''}'.`);
    return null;
  }
  const [from, to] = calendarPeriod(shifted, boundary.unit);
  return [boundary.start ? fromWallClock(from, ctx.timeZone) : fromWallClock(to, ctx.timeZone) - 1];
}

function shiftBy(from: Date, increment: string, defaultUnit: string): Date | null {
  const match = /^([+-]?\d+)([yMwdhm])?$/.exec(increment.trim());
  if (!match) return null;
  const amount = Number(match[1]);
  const unit = match[2] ?? defaultUnit;
  const date = new Date(from.getTime());
  if (unit === 'y') date.setUTCFullYear(date.getUTCFullYear() + amount);
  else if (unit === 'M') date.setUTCMonth(date.getUTCMonth() + amount);
  else date.setTime(date.getTime() + amount * (PERIOD_MS[unit] ?? 0));
  return date;
}

/** Wall-clock bounds [from, to) of the day, week (Sunday first, as for an en_US user), month or year around `date`. */
function calendarPeriod(date: Date, unit: string): [number, number] {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  const d = date.getUTCDate();
  if (unit === 'y') return [Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1)];
  if (unit === 'M') return [Date.UTC(y, m, 1), Date.UTC(y, m + 1, 1)];
  if (unit === 'w') return [Date.UTC(y, m, d - date.getUTCDay()), Date.UTC(y, m, d - date.getUTCDay() + 7)];
  return [Date.UTC(y, m, d), Date.UTC(y, m, d + 1)];
}

function parseDateOperand(value: string, ctx: JqlContext): number | null {
  const trimmed = value.trim();
  const absolute = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(trimmed);
  if (absolute) {
    const [, y, mo, d, h, mi] = absolute.map(Number) as [number, number, number, number, number, number];
    const wall = Date.UTC(y, mo - 1, d, absolute[4] ? h : 0, absolute[5] ? mi : 0);
    return new Date(wall).getUTCDate() === d ? fromWallClock(wall, ctx.timeZone) : null;
  }
  const relative = /^([+-])?((?:\d+[wdhm]\s*)+)$/.exec(trimmed);
  if (!relative) return null;
  let offset = 0;
  for (const [, amount, unit] of relative[2]!.matchAll(/(\d+)([wdhm])/g))
    offset += Number(amount) * (PERIOD_MS[unit!] ?? 0);
  return ctx.now.getTime() + (relative[1] === '-' ? -offset : offset);
}

function compileOrder(
  sorts: JqlSort[],
  ctx: JqlContext,
  errors: string[],
): (a: FakeIssue, b: FakeIssue) => number {
  const effective: JqlSort[] =
    sorts.length > 0 ? sorts : [{ field: 'key', fieldPosition: 0, direction: 'desc' }];
  const keys = effective.flatMap((sort) => {
    const spec = fieldSpec(sort.field, ctx);
    if (!spec) {
      errors.push(`Field '${sort.field}' does not exist or you do not have permission to view it.`);
      return [];
    }
    if (!spec.sortKey) {
      errors.push(`Field '${sort.field}' does not support sorting.`);
      return [];
    }
    return [{ sortKey: spec.sortKey, sign: sort.direction === 'desc' ? -1 : 1 }];
  });
  const cache = new Map<FakeIssue, (Scalar | null)[]>();
  const sortKeys = (issue: FakeIssue): (Scalar | null)[] => {
    let values = cache.get(issue);
    if (!values) cache.set(issue, (values = keys.map(({ sortKey }) => sortKey(issue))));
    return values;
  };
  return (a, b) => {
    const [xs, ys] = [sortKeys(a), sortKeys(b)];
    for (const [i, { sign }] of keys.entries()) {
      const x = xs[i] ?? null;
      const y = ys[i] ?? null;
      if (x === y) continue;
      // Empty values sort as the greatest: last ascending, first descending.
      if (x === null) return sign;
      if (y === null) return -sign;
      return (x < y ? -1 : 1) * sign;
    }
    return Number(a.id) - Number(b.id);
  };
}

const issueNumber = (issue: FakeIssue): number => Number(issue.key.slice(issue.key.lastIndexOf('-') + 1));
const first = <T>(values: T[]): T | null => values[0] ?? null;
const dateTimeValue = (value: unknown): number[] =>
  typeof value === 'string' ? [parseJiraDateTime(value)] : [];
const listValue = (value: unknown): Scalar[] =>
  Array.isArray(value)
    ? (value as Scalar[])
    : value === null || value === undefined || value === ''
      ? []
      : [value as Scalar];

function fieldSpec(clauseName: string, ctx: JqlContext): FieldSpec | null {
  const name = clauseName.toLowerCase() === 'text' ? 'summary' : clauseName.toLowerCase();
  const field = ctx.data.fields.find(
    (candidate) =>
      candidate.clauseNames.some((clause) => clause.toLowerCase() === name) ||
      (candidate.custom && candidate.id === name),
  );
  return field ? fieldSpecFor(field, clauseName, ctx) : null;
}

/** `label` is the field as the query names it, which is how Jira words its messages. */
function fieldSpecFor(field: FakeField, label: string, ctx: JqlContext): FieldSpec | null {
  const { data } = ctx;
  const midnights = new Map<string, number>();
  const dateValue = (value: unknown): number[] => {
    if (typeof value !== 'string') return [];
    let instant = midnights.get(value);
    if (instant === undefined)
      midnights.set(value, (instant = fromWallClock(parseJiraDate(value), ctx.timeZone)));
    return [instant];
  };
  const user = (read: (issue: FakeIssue) => Scalar[]): FieldSpec => ({
    label,
    kind: 'user',
    read,
    resolve: (literal) => (data.users.some((u) => u.accountId === literal) ? [literal] : null),
    sortKey: (issue) => {
      const accountId = first(read(issue));
      return data.users.find((u) => u.accountId === accountId)?.displayName.toLowerCase() ?? null;
    },
  });
  const option = <T extends { id: string; name: string }>(
    items: readonly T[],
    current: (issue: FakeIssue) => T | undefined,
    resolve: (literal: string) => T | undefined = (literal) => byIdOrName(items, literal),
  ): FieldSpec => ({
    label,
    kind: 'option',
    read: (issue) => {
      const item = current(issue);
      return item ? [item.id] : [];
    },
    resolve: (literal) => {
      const item = resolve(literal);
      return item ? [item.id] : null;
    },
    sortKey: (issue) => {
      const item = current(issue);
      return item ? items.indexOf(item) : null;
    },
  });

  switch (field.id) {
    case 'summary':
      return {
        label,
        kind: 'text',
        read: (issue) => [issue.summary],
        sortKey: (issue) => issue.summary.toLowerCase(),
      };
    case 'project': {
      const projects = [...data.projects].sort((a, b) => a.key.localeCompare(b.key));
      return option(
        projects,
        (issue) => projects.find((p) => p.key === issue.projectKey),
        (literal) =>
          projects.find(
            (p) => p.id === literal || [p.key, p.name].some((n) => n.toLowerCase() === literal.toLowerCase()),
          ),
      );
    }
    case 'status':
      return option(STATUSES, (issue) => byIdOrName(STATUSES, issue.status));
    case 'statusCategory': {
      const categories = STATUS_CATEGORIES.map((c) => ({ ...c, id: String(c.id) }));
      return option(
        categories,
        (issue) => categories.find((c) => c.key === byIdOrName(STATUSES, issue.status)?.category),
        (literal) =>
          categories.find((c) =>
            [c.id, c.key, c.name].some((n) => n.toLowerCase() === literal.toLowerCase()),
          ),
      );
    }
    case 'priority': {
      // Highest is the greatest priority, so it comes first in `ORDER BY priority DESC`.
      const ascending = [...PRIORITIES].reverse();
      return option(ascending, (issue) => byIdOrName(ascending, issue.priority));
    }
    case 'issuetype':
      return option(ISSUE_TYPES, (issue) => byIdOrName(ISSUE_TYPES, issue.issueType));
    case 'resolution': {
      const spec = option(RESOLUTIONS, (issue) =>
        issue.resolution ? byIdOrName(RESOLUTIONS, issue.resolution) : undefined,
      );
      const resolveNamed = spec.resolve!;
      return {
        ...spec,
        resolve: (literal) => (literal.toLowerCase() === 'unresolved' ? [EMPTY] : resolveNamed(literal)),
      };
    }
    case 'assignee':
      return user((issue) => listValue(issue.assignee));
    case 'reporter':
      return user((issue) => listValue(issue.reporter));
    case 'duedate':
      return {
        label,
        kind: 'date',
        read: (issue) => dateValue(issue.duedate),
        sortKey: (issue) => first(dateValue(issue.duedate)),
      };
    case 'created':
    case 'updated':
    case 'resolutiondate': {
      const id = field.id;
      const read = (issue: FakeIssue): number[] => dateTimeValue(issue[id]);
      return { label, kind: 'datetime', read, sortKey: (issue) => first(read(issue)) };
    }
    case 'labels':
      return { label, kind: 'labels', read: (issue) => issue.labels };
    case 'fixVersions':
      return {
        label,
        kind: 'version',
        read: (issue) => issue.fixVersions,
        resolve: (literal) =>
          data.versions
            .filter((v) => v.id === literal || v.name.toLowerCase() === literal.toLowerCase())
            .map((v) => v.id),
        sortKey: (issue) =>
          first(issue.fixVersions.map((id) => data.versions.find((v) => v.id === id)?.name ?? id).sort()),
      };
    case 'issuekey':
      return {
        label,
        kind: 'issuekey',
        read: (issue) => [Number(issue.id)],
        resolve: (literal) => {
          if (/^\d+$/.test(literal)) return [Number(literal)];
          const issue = data.issues.find(
            (candidate) => candidate.key.toLowerCase() === literal.toLowerCase(),
          );
          return issue ? [Number(issue.id)] : null;
        },
        sortKey: (issue) => `${issue.projectKey}-${String(issueNumber(issue)).padStart(12, '0')}`,
      };
  }
  if (!field.custom || !field.schema) return null;
  const read = (issue: FakeIssue): Scalar[] => listValue(issue.custom[field.id]);
  const { type, items, custom } = field.schema;
  if (custom === 'com.pyxis.greenhopper.jira:gh-sprint') {
    return {
      label,
      kind: 'sprint',
      read,
      resolve: (literal) =>
        data.sprints
          .filter((s) => String(s.id) === literal || s.name.toLowerCase() === literal.toLowerCase())
          .map((s) => s.id),
      sortKey: (issue) =>
        first(
          read(issue)
            .map(Number)
            .sort((a, b) => b - a),
        ),
    };
  }
  if (type === 'user' || (type === 'array' && items === 'user')) return user(read);
  if (type === 'date') {
    return {
      label,
      kind: 'date',
      read: (issue) => read(issue).flatMap(dateValue),
      sortKey: (issue) => first(read(issue).flatMap(dateValue)),
    };
  }
  if (type === 'datetime') {
    return {
      label,
      kind: 'datetime',
      read: (issue) => read(issue).flatMap(dateTimeValue),
      sortKey: (issue) => first(read(issue).flatMap(dateTimeValue)),
    };
  }
  if (type === 'number') return { label, kind: 'number', read, sortKey: (issue) => first(read(issue)) };
  if (type === 'string') {
    return {
      label,
      kind: 'text',
      read,
      sortKey: (issue) => first(read(issue).map((v) => String(v).toLowerCase())),
    };
  }
  return null;
}
