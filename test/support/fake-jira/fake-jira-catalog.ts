import type { FakeField, FakeFieldSchema } from './fake-jira-types.js';

export type StatusCategory = {
  id: number;
  key: 'new' | 'indeterminate' | 'done';
  name: string;
  colorName: string;
};

export const STATUS_CATEGORIES: readonly StatusCategory[] = [
  { id: 2, key: 'new', name: 'To Do', colorName: 'blue-gray' },
  { id: 4, key: 'indeterminate', name: 'In Progress', colorName: 'yellow' },
  { id: 3, key: 'done', name: 'Done', colorName: 'green' },
];

export type NamedItem = { id: string; name: string; description: string };

export const STATUSES: readonly (NamedItem & { category: StatusCategory['key'] })[] = [
  { id: '10000', name: 'To Do', description: '', category: 'new' },
  {
    id: '3',
    name: 'In Progress',
    description: 'This issue is being actively worked on.',
    category: 'indeterminate',
  },
  { id: '10001', name: 'In Review', description: '', category: 'indeterminate' },
  { id: '10002', name: 'Done', description: '', category: 'done' },
  { id: '10003', name: 'Cancelled', description: '', category: 'done' },
];

/** Highest first: the order Jira sorts priorities in. */
export const PRIORITIES: readonly NamedItem[] = ['Highest', 'High', 'Medium', 'Low', 'Lowest'].map(
  (name, i) => ({
    id: String(i + 1),
    name,
    description: '',
  }),
);

export const ISSUE_TYPES: readonly (NamedItem & { hierarchyLevel: number })[] = [
  {
    id: '10000',
    name: 'Epic',
    description: 'A big user story that needs to be broken down.',
    hierarchyLevel: 1,
  },
  {
    id: '10001',
    name: 'Story',
    description: 'Functionality or a feature expressed as a user goal.',
    hierarchyLevel: 0,
  },
  { id: '10002', name: 'Task', description: 'A small, distinct piece of work.', hierarchyLevel: 0 },
  { id: '10003', name: 'Bug', description: 'A problem or error.', hierarchyLevel: 0 },
];

export const RESOLUTIONS: readonly NamedItem[] = [
  { id: '10000', name: 'Done', description: 'Work has been completed on this issue.' },
  { id: '10001', name: "Won't Do", description: 'This issue won’t be actioned.' },
  { id: '10002', name: 'Duplicate', description: 'The problem is a duplicate of an existing issue.' },
];

export const CUSTOM_FIELD = {
  startDate: 'customfield_10015',
  sprint: 'customfield_10020',
  goLiveAt: 'customfield_10030',
  durationMinutes: 'customfield_10031',
  timeZone: 'customfield_10032',
  startTime: 'customfield_10033',
  reviewer: 'customfield_10034',
  watchersTeam: 'customfield_10035',
} as const;

const CF_TYPES = 'com.atlassian.jira.plugin.system.customfieldtypes';

function system(
  id: string,
  name: string,
  schema: Omit<FakeFieldSchema, 'system'> | null,
  clauseNames = [id],
): FakeField {
  return {
    id,
    name,
    custom: false,
    ...(schema ? { schema: { ...schema, system: id } } : {}),
    clauseNames,
    orderable:
      schema !== null && !['created', 'updated', 'resolutiondate', 'status', 'statusCategory'].includes(id),
    navigable: true,
    searchable: true,
  };
}

function custom(id: string, name: string, type: string, customType: string, items?: string): FakeField {
  const customId = Number(id.replace('customfield_', ''));
  return {
    id,
    name,
    custom: true,
    schema: { type, custom: customType, customId, ...(items ? { items } : {}) },
    clauseNames: [`cf[${customId}]`, name],
    orderable: true,
    navigable: true,
    searchable: true,
  };
}

export function defaultFields(): FakeField[] {
  return [
    system('issuekey', 'Key', null, ['id', 'issue', 'issuekey', 'key']),
    system('summary', 'Summary', { type: 'string' }),
    system('status', 'Status', { type: 'status' }),
    system('statusCategory', 'Status Category', { type: 'statusCategory' }),
    system('assignee', 'Assignee', { type: 'user' }),
    system('reporter', 'Reporter', { type: 'user' }),
    system('priority', 'Priority', { type: 'priority' }),
    system('duedate', 'Due date', { type: 'date' }, ['due', 'duedate']),
    system('created', 'Created', { type: 'datetime' }, ['created', 'createdDate']),
    system('updated', 'Updated', { type: 'datetime' }, ['updated', 'updatedDate']),
    system('resolutiondate', 'Resolved', { type: 'datetime' }, ['resolutiondate', 'resolved']),
    system('resolution', 'Resolution', { type: 'resolution' }),
    system('issuetype', 'Issue Type', { type: 'issuetype' }, ['issuetype', 'type']),
    system('project', 'Project', { type: 'project' }),
    system('fixVersions', 'Fix versions', { type: 'array', items: 'version' }, ['fixVersion']),
    system('labels', 'Labels', { type: 'array', items: 'string' }),
    custom(CUSTOM_FIELD.startDate, 'Start date', 'date', `${CF_TYPES}:datepicker`),
    custom(CUSTOM_FIELD.sprint, 'Sprint', 'array', 'com.pyxis.greenhopper.jira:gh-sprint', 'json'),
    custom(CUSTOM_FIELD.goLiveAt, 'Go-live at', 'datetime', `${CF_TYPES}:datetime`),
    custom(CUSTOM_FIELD.durationMinutes, 'Duration (minutes)', 'number', `${CF_TYPES}:float`),
    custom(CUSTOM_FIELD.timeZone, 'Time zone', 'string', `${CF_TYPES}:textfield`),
    custom(CUSTOM_FIELD.startTime, 'Start time', 'string', `${CF_TYPES}:textfield`),
    custom(CUSTOM_FIELD.reviewer, 'Reviewer', 'user', `${CF_TYPES}:userpicker`),
    custom(CUSTOM_FIELD.watchersTeam, 'Watchers team', 'array', `${CF_TYPES}:multiuserpicker`, 'user'),
  ];
}
