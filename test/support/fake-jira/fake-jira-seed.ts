import {
  CUSTOM_FIELD,
  defaultFields,
  ISSUE_TYPES,
  PRIORITIES,
  RESOLUTIONS,
  STATUSES,
} from './fake-jira-catalog.js';
import type { FakeIssue, FakeJiraData, FakeProject, FakeRoleActors } from './fake-jira-types.js';
import { formatJiraDate, formatJiraDateTime, fromWallClock } from './jira-time.js';

/** The time zone of the seed's app user: Jira formats every datetime it returns in the caller's zone. */
export const SEED_TIME_ZONE = 'Europe/Berlin';

export const SEED_ACCOUNTS = {
  alice: '712020:a11ce000-0000-4000-8000-000000000001',
  bob: '712020:b0b00000-0000-4000-8000-000000000002',
  chloe: '712020:c410e000-0000-4000-8000-000000000003',
  dmitri: '712020:d1117000-0000-4000-8000-000000000004',
  /** Deactivated: still assignee of old issues, holds no permissions. */
  eve: '712020:e7e00000-0000-4000-8000-000000000005',
  farah: '712020:fa7a0000-0000-4000-8000-000000000006',
  gao: '712020:9a000000-0000-4000-8000-000000000007',
  app: '557058:ca1e0da7-5c00-4000-8000-000000000100',
} as const;

export const SEED_ROLE_IDS = {
  administrators: 10002,
  developers: 10001,
  viewers: 10003,
  addons: 10004,
} as const;

const A = SEED_ACCOUNTS;
const ACTIVE_PEOPLE = [A.alice, A.bob, A.chloe, A.dmitri, A.farah, A.gao];

/** A local wall-clock time in the seed's zone, formatted as Jira returns it. */
const at = (local: string): string =>
  formatJiraDateTime(
    fromWallClock(Date.parse(`${local.replace(' ', 'T')}:00Z`), SEED_TIME_ZONE),
    SEED_TIME_ZONE,
  );

function roles(
  admins: Partial<FakeRoleActors>,
  developers: Partial<FakeRoleActors>,
  viewers: Partial<FakeRoleActors>,
): FakeProject['roleActors'] {
  const actors = (a: Partial<FakeRoleActors>): FakeRoleActors => ({
    users: a.users ?? [],
    groups: a.groups ?? [],
  });
  return {
    [SEED_ROLE_IDS.administrators]: actors(admins),
    [SEED_ROLE_IDS.developers]: actors(developers),
    [SEED_ROLE_IDS.viewers]: actors(viewers),
    [SEED_ROLE_IDS.addons]: actors({ groups: ['atlassian-addons-admin'] }),
  };
}

type IssueSpec = Partial<Omit<FakeIssue, 'key' | 'id'>> & { summary: string; created: string };

function handMade(id: number, key: string, spec: IssueSpec): FakeIssue {
  const { created, ...rest } = spec;
  return {
    id: String(id),
    key,
    projectKey: key.split('-')[0]!,
    issueType: 'Task',
    status: 'To Do',
    priority: 'Medium',
    assignee: null,
    reporter: A.alice,
    updated: at(created),
    duedate: null,
    resolution: null,
    resolutiondate: null,
    labels: [],
    fixVersions: [],
    ...rest,
    created: at(created),
    custom: { ...spec.custom },
  };
}

const LONG_SUMMARY = (
  'As a team lead who plans releases across several time zones, I want every issue that has both a start date ' +
  'and a due date to show up as one multi-day event in my calendar feed, so that overlapping work is visible at ' +
  'a glance without opening Jira, even on a phone while travelling between offices'
).slice(0, 255);

function seedIssues(): FakeIssue[] {
  const cf = CUSTOM_FIELD;
  let id = 10001;
  const next = (key: string, spec: IssueSpec): FakeIssue => handMade(id++, key, spec);
  return [
    next('CAL-1', {
      issueType: 'Epic',
      summary: 'Calendar Sync launch',
      status: 'In Progress',
      priority: 'High',
      assignee: A.alice,
      created: '2026-01-02 09:12',
      updated: at('2026-04-20 16:40'),
      duedate: '2026-06-30',
      labels: ['launch'],
      fixVersions: ['10101'],
      custom: { [cf.startDate]: '2026-01-05' },
    }),
    next('CAL-2', {
      issueType: 'Story',
      summary: 'Render all-day events from due dates',
      status: 'Done',
      assignee: A.bob,
      reporter: A.alice,
      created: '2026-01-07 10:00',
      updated: at('2026-02-12 17:05'),
      duedate: '2026-02-13',
      resolution: 'Done',
      resolutiondate: at('2026-02-12 17:05'),
      fixVersions: ['10100'],
      custom: { [cf.startDate]: '2026-02-02', [cf.sprint]: [1, 2] },
    }),
    next('CAL-3', { summary: 'Write the privacy statement', created: '2026-01-09 11:30' }),
    next('CAL-4', {
      summary: 'Switch the production database to the new cluster',
      status: 'Done',
      priority: 'Highest',
      assignee: A.dmitri,
      created: '2026-02-20 08:45',
      updated: at('2026-03-29 04:10'),
      duedate: '2026-03-29',
      resolution: 'Done',
      resolutiondate: at('2026-03-29 04:10'),
      fixVersions: ['10100'],
      labels: ['ops'],
      // 01:30 CET plus two hours ends at 04:30 CEST: the clocks jump at 02:00 that night.
      custom: {
        [cf.goLiveAt]: at('2026-03-29 01:30'),
        [cf.durationMinutes]: 120,
        [cf.timeZone]: 'Europe/Berlin',
      },
    }),
    next('CAL-5', {
      issueType: 'Bug',
      summary: 'Überprüfung der Zeitzonen – 東京オフィス 🗓️ (Zürich/São Paulo)',
      status: 'In Review',
      priority: 'Highest',
      assignee: A.gao,
      reporter: A.chloe,
      created: '2026-02-27 13:02',
      updated: at('2026-03-05 09:20'),
      duedate: '2026-03-10',
      custom: { [cf.sprint]: [3] },
    }),
    next('CAL-6', {
      issueType: 'Story',
      summary: LONG_SUMMARY,
      assignee: A.alice,
      created: '2026-03-02 10:10',
      duedate: '2026-05-29',
      custom: { [cf.startDate]: '2026-05-18' },
    }),
    next('CAL-7', {
      summary: 'Plan Q3: budget, hiring; offsites, "team week" & retro',
      assignee: A.alice,
      created: '2026-03-03 15:00',
      duedate: '2026-07-01',
      labels: ['planning', 'q3'],
      custom: { [cf.startDate]: '2026-06-22' },
    }),
    next('CAL-8', {
      issueType: 'Story',
      summary: 'Rotate subscription URLs',
      status: 'In Progress',
      assignee: A.alice,
      reporter: A.bob,
      created: '2026-04-02 09:00',
      updated: at('2026-05-06 12:00'),
      duedate: '2026-05-15',
      fixVersions: ['10101'],
      custom: {
        [cf.startDate]: '2026-05-04',
        [cf.sprint]: [2, 3],
        [cf.reviewer]: A.bob,
        [cf.watchersTeam]: [A.chloe, A.gao],
      },
    }),
    next('CAL-9', {
      issueType: 'Bug',
      summary: 'Feed shows events one day early in Samoa',
      priority: 'High',
      assignee: A.eve,
      reporter: A.gao,
      created: '2026-04-14 18:22',
      duedate: '2026-09-15',
    }),
    next('CAL-10', {
      summary: 'Year-end change freeze',
      assignee: A.dmitri,
      created: '2026-05-11 08:00',
      duedate: '2026-12-31',
      // Local New Year's Day, still 31 December in UTC.
      custom: { [cf.goLiveAt]: at('2027-01-01 00:30'), [cf.durationMinutes]: 30 },
    }),
    next('CAL-11', {
      issueType: 'Story',
      summary: 'Sprint 4 planning',
      created: '2026-05-12 10:00',
      custom: { [cf.sprint]: [4] },
    }),
    next('MKT-1', {
      summary: 'Launch webinar\nfollow-up emails',
      assignee: A.chloe,
      reporter: A.farah,
      created: '2026-03-16 09:30',
      duedate: '2026-04-16',
      labels: ['launch', 'webinar'],
      fixVersions: ['10102'],
      custom: { [cf.startDate]: '2026-04-14' },
    }),
    next('MKT-2', {
      issueType: 'Story',
      summary: 'Customer roundtable, New York',
      assignee: A.farah,
      reporter: A.farah,
      created: '2026-03-18 14:00',
      custom: {
        [cf.startDate]: '2026-05-12',
        [cf.startTime]: '09:30',
        [cf.timeZone]: 'America/New_York',
        [cf.durationMinutes]: 90,
        [cf.reviewer]: A.chloe,
      },
    }),
    next('MKT-3', {
      summary: 'Press kit – final review',
      status: 'In Review',
      priority: 'High',
      assignee: A.chloe,
      reporter: A.farah,
      created: '2026-03-02 11:00',
      updated: at('2026-03-19 16:45'),
      duedate: '2026-03-20',
      custom: { [cf.reviewer]: A.alice, [cf.watchersTeam]: [A.farah, A.chloe, A.eve] },
    }),
    next('MKT-4', {
      summary: 'Autumn campaign kickoff',
      assignee: A.farah,
      reporter: A.farah,
      created: '2026-06-01 10:00',
      duedate: '2026-09-30',
      labels: ['q3'],
      fixVersions: ['10103'],
      custom: { [cf.startDate]: '2026-09-01' },
    }),
    next('MKT-5', {
      issueType: 'Bug',
      summary: 'Broken link in the March newsletter',
      status: 'Cancelled',
      priority: 'Low',
      reporter: A.chloe,
      created: '2026-03-05 08:15',
      updated: at('2026-03-06 10:00'),
      resolution: "Won't Do",
      resolutiondate: at('2026-03-06 10:00'),
    }),
    next('OPS-1', {
      summary: 'Salary review meetings',
      assignee: A.dmitri,
      reporter: A.farah,
      created: '2026-04-01 09:00',
      duedate: '2026-06-05',
      custom: { [cf.goLiveAt]: at('2026-06-05 14:00'), [cf.durationMinutes]: 240 },
      securityLevel: {
        name: 'Confidential',
        accountIds: [A.dmitri],
        groups: ['leadership', 'atlassian-addons-admin'],
      },
    }),
    next('OPS-2', {
      summary: 'Replace office badge readers',
      status: 'In Progress',
      assignee: A.bob,
      reporter: A.dmitri,
      created: '2026-04-20 13:00',
      duedate: '2026-05-08',
      custom: { [cf.startDate]: '2026-04-27', [cf.sprint]: [5] },
    }),
    next('OPS-3', {
      summary: 'Fire drill (clocks go back that night)',
      assignee: A.gao,
      reporter: A.dmitri,
      created: '2026-09-01 09:00',
      duedate: '2026-10-25',
      custom: {
        [cf.goLiveAt]: at('2026-10-25 01:30'),
        [cf.durationMinutes]: 150,
        [cf.timeZone]: 'Europe/Berlin',
      },
    }),
    next('OPS-4', {
      issueType: 'Story',
      summary: 'Move servers to rack 7',
      status: 'Done',
      assignee: A.gao,
      reporter: A.dmitri,
      created: '2026-01-12 10:00',
      updated: at('2026-01-30 17:30'),
      duedate: '2026-01-30',
      resolution: 'Done',
      resolutiondate: at('2026-01-30 17:30'),
    }),
  ];
}

/** A small, realistic site: 3 projects, 40 issues over 2026, 7 people (one inactive) and the app user. */
export function defaultSeed(): FakeJiraData {
  const user = (accountId: string, displayName: string, timeZone: string, email?: string, active = true) => ({
    accountId,
    displayName,
    active,
    accountType: 'atlassian' as const,
    timeZone,
    locale: 'en_US',
    ...(email ? { emailAddress: email } : {}),
  });
  const issues = seedIssues();
  return {
    appUserAccountId: A.app,
    appHasProjectAdmin: true,
    users: [
      user(A.alice, 'Alice Andersson', 'Europe/Stockholm', 'alice@example.com'),
      user(A.bob, 'Bob Brown', 'America/New_York', 'bob@example.com'),
      user(A.chloe, 'Chloé Dubois', 'Europe/Paris'),
      user(A.dmitri, 'Dmitri Ivanov', 'Europe/Berlin', 'dmitri@example.com'),
      user(A.eve, 'Eve Evans', 'Europe/London', undefined, false),
      user(A.farah, 'Farah Khan', 'Asia/Kolkata', 'farah@example.com'),
      user(A.gao, '高美 (Gao Mei)', 'Asia/Shanghai'),
      { ...user(A.app, 'Calendar Sync', SEED_TIME_ZONE), accountType: 'app' },
    ],
    groups: [
      {
        groupId: '6f1e0c52-1c5a-4d3b-9a7e-000000000001',
        name: 'engineering',
        members: [A.alice, A.bob, A.dmitri, A.gao],
      },
      {
        groupId: '6f1e0c52-1c5a-4d3b-9a7e-000000000002',
        name: 'marketing',
        members: [A.chloe, A.farah, A.eve],
      },
      { groupId: '6f1e0c52-1c5a-4d3b-9a7e-000000000003', name: 'leadership', members: [A.alice, A.farah] },
      { groupId: '6f1e0c52-1c5a-4d3b-9a7e-000000000004', name: 'site-admins', members: [A.alice] },
      { groupId: '6f1e0c52-1c5a-4d3b-9a7e-000000000005', name: 'atlassian-addons-admin', members: [A.app] },
    ],
    roles: [
      {
        id: SEED_ROLE_IDS.administrators,
        name: 'Administrators',
        description: 'Administrators of the project',
      },
      {
        id: SEED_ROLE_IDS.developers,
        name: 'Developers',
        description: 'People who work on issues in the project',
      },
      { id: SEED_ROLE_IDS.viewers, name: 'Viewers', description: 'Read-only access to the project' },
      {
        id: SEED_ROLE_IDS.addons,
        name: 'atlassian-addons-project-access',
        description: 'Project access for apps',
      },
    ],
    projects: [
      {
        id: '10000',
        key: 'CAL',
        name: 'Calendar Platform',
        projectTypeKey: 'software',
        leadAccountId: A.alice,
        roleActors: roles({ users: [A.alice] }, { groups: ['engineering'] }, { groups: ['leadership'] }),
      },
      {
        id: '10001',
        key: 'MKT',
        name: 'Marketing Launches',
        projectTypeKey: 'business',
        leadAccountId: A.farah,
        roleActors: roles({ users: [A.farah] }, { users: [A.chloe, A.eve] }, { groups: ['engineering'] }),
      },
      {
        id: '10002',
        key: 'OPS',
        name: 'Opérations & Facilities',
        projectTypeKey: 'business',
        leadAccountId: A.dmitri,
        roleActors: roles({ users: [A.dmitri] }, { users: [A.gao, A.bob] }, {}),
      },
    ],
    permissionScheme: {
      BROWSE_PROJECTS: ['Administrators', 'Developers', 'Viewers', 'atlassian-addons-project-access'],
      CREATE_ISSUES: ['Administrators', 'Developers'],
      EDIT_ISSUES: ['Administrators', 'Developers', 'atlassian-addons-project-access'],
      ADMINISTER_PROJECTS: ['Administrators'],
    },
    globalPermissions: {
      ADMINISTER: ['site-admins'],
      USER_PICKER: ['engineering', 'marketing', 'leadership', 'atlassian-addons-admin'],
    },
    versions: [
      {
        id: '10100',
        projectId: '10000',
        name: '1.0',
        released: true,
        startDate: '2026-01-05',
        releaseDate: '2026-03-31',
      },
      { id: '10101', projectId: '10000', name: '1.1', released: false, releaseDate: '2026-07-15' },
      {
        id: '10102',
        projectId: '10001',
        name: 'Spring campaign',
        released: true,
        startDate: '2026-03-02',
        releaseDate: '2026-04-20',
      },
      { id: '10103', projectId: '10001', name: 'Autumn campaign', released: false },
    ],
    sprints: [
      {
        id: 1,
        name: 'CAL Sprint 1',
        state: 'closed',
        boardId: 1,
        startDate: '2026-01-05T08:00:00.000Z',
        endDate: '2026-01-19T08:00:00.000Z',
        completeDate: '2026-01-19T15:12:00.000Z',
      },
      {
        id: 2,
        name: 'CAL Sprint 2',
        state: 'closed',
        boardId: 1,
        startDate: '2026-01-19T08:00:00.000Z',
        endDate: '2026-02-02T08:00:00.000Z',
        completeDate: '2026-02-03T09:00:00.000Z',
      },
      {
        id: 3,
        name: 'CAL Sprint 3',
        state: 'active',
        boardId: 1,
        startDate: '2026-05-04T07:00:00.000Z',
        endDate: '2026-05-18T07:00:00.000Z',
      },
      { id: 4, name: 'CAL Sprint 4', state: 'future', boardId: 1 },
      {
        id: 5,
        name: 'OPS Sprint 12',
        state: 'active',
        boardId: 2,
        startDate: '2026-04-27T06:00:00.000Z',
        endDate: '2026-05-11T06:00:00.000Z',
      },
    ],
    fields: defaultFields(),
    issues: [
      ...issues,
      ...generateIssues(40 - issues.length, { seed: 2026, startId: 10101, startNumber: 101 }),
    ],
    filters: [
      {
        id: '10000',
        name: 'Team milestones',
        description: 'Platform due dates',
        ownerAccountId: A.alice,
        jql: 'project = CAL AND duedate IS NOT EMPTY ORDER BY duedate ASC',
        shares: [{ type: 'project', projectId: '10000' }],
      },
      {
        id: '10001',
        name: 'Launch calendar',
        description: '',
        ownerAccountId: A.farah,
        jql: 'labels = launch ORDER BY duedate',
        shares: [{ type: 'authenticated' }],
      },
      {
        id: '10002',
        name: "Bob's private list",
        description: '',
        ownerAccountId: A.bob,
        jql: 'assignee = currentUser()',
        shares: [],
      },
    ],
  };
}

export type GenerateIssuesOptions = {
  /** PRNG seed: the same seed and options give the same issues. */
  seed?: number;
  startId?: number;
  /** First issue number in each project's keys. */
  startNumber?: number;
  projectKeys?: string[];
  accountIds?: string[];
  year?: number;
  timeZone?: string;
  versionIdsByProject?: Record<string, string[]>;
  sprintIdsByProject?: Record<string, number[]>;
};

/** Deterministic issues spread over a year, defaulting to the seed's projects, people, versions and sprints. */
export function generateIssues(count: number, opts: GenerateIssuesOptions = {}): FakeIssue[] {
  const random = mulberry32(opts.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (p: number): boolean => random() < p;
  const projectKeys = opts.projectKeys ?? ['CAL', 'MKT', 'OPS'];
  const people = opts.accountIds ?? ACTIVE_PEOPLE;
  const timeZone = opts.timeZone ?? SEED_TIME_ZONE;
  const versions = opts.versionIdsByProject ?? { CAL: ['10100', '10101'], MKT: ['10102', '10103'] };
  const sprints = opts.sprintIdsByProject ?? { CAL: [1, 2, 3, 4], OPS: [5] };
  const yearStart = Date.UTC(opts.year ?? 2026, 0, 1);
  const numbers = new Map<string, number>();
  const day = 86_400_000;

  return Array.from({ length: count }, (_, i): FakeIssue => {
    const projectKey = pick(projectKeys);
    const number = numbers.get(projectKey) ?? opts.startNumber ?? 1000;
    numbers.set(projectKey, number + 1);
    // Wall-clock times during office hours, converted to instants in the zone.
    const createdWall =
      yearStart - 20 * day + Math.floor(random() * 360) * day + (8 + Math.floor(random() * 10)) * 3_600_000;
    const created = fromWallClock(createdWall + Math.floor(random() * 60) * 60_000, timeZone);
    const updated = created + Math.floor(random() * 40 * 24) * 3_600_000;
    const status = pick(STATUSES);
    const done = status.category === 'done';
    const dueWall = chance(0.75) ? createdWall + (3 + Math.floor(random() * 60)) * day : null;
    const custom: FakeIssue['custom'] = {};
    if (dueWall !== null && chance(0.5)) {
      custom[CUSTOM_FIELD.startDate] = formatJiraDate(dueWall - Math.floor(random() * 14) * day);
    }
    if (chance(0.15)) {
      const goLive = fromWallClock(createdWall + (5 + Math.floor(random() * 50)) * day, timeZone);
      custom[CUSTOM_FIELD.goLiveAt] = formatJiraDateTime(goLive, timeZone);
    }
    if (chance(0.3)) custom[CUSTOM_FIELD.durationMinutes] = 15 * (1 + Math.floor(random() * 16));
    if (chance(0.1)) custom[CUSTOM_FIELD.reviewer] = pick(people);
    const projectSprints = sprints[projectKey] ?? [];
    if (projectSprints.length > 0 && chance(0.4)) custom[CUSTOM_FIELD.sprint] = [pick(projectSprints)];
    const projectVersions = versions[projectKey] ?? [];
    return {
      id: String((opts.startId ?? 20000) + i),
      key: `${projectKey}-${number}`,
      projectKey,
      issueType: pick(ISSUE_TYPES.filter((type) => type.name !== 'Epic')).name,
      summary: `${pick(VERBS)} ${pick(OBJECTS)}${chance(0.3) ? ` for ${pick(AUDIENCES)}` : ''}`,
      status: status.name,
      priority: pick(PRIORITIES).name,
      assignee: chance(0.85) ? pick(people) : null,
      reporter: pick(people),
      created: formatJiraDateTime(created, timeZone),
      updated: formatJiraDateTime(updated, timeZone),
      duedate: dueWall === null ? null : formatJiraDate(dueWall),
      resolution: done ? pick(RESOLUTIONS).name : null,
      resolutiondate: done ? formatJiraDateTime(updated, timeZone) : null,
      labels: LABELS.filter(() => chance(0.15)),
      fixVersions: projectVersions.length > 0 && chance(0.3) ? [pick(projectVersions)] : [],
      custom,
    };
  });
}

const VERBS = [
  'Prepare',
  'Review',
  'Migrate',
  'Document',
  'Plan',
  'Fix',
  'Ship',
  'Schedule',
  'Audit',
  'Refresh',
];
const OBJECTS = [
  'release notes',
  'onboarding guide',
  'billing export',
  'status page',
  'API limits',
  'office move',
  'quarterly report',
  'backup restore test',
  'design review',
  'partner newsletter',
];
const AUDIENCES = ['EMEA', 'the support team', 'APAC customers', 'new hires', 'the board'];
const LABELS = ['backend', 'frontend', 'launch', 'ops', 'customer', 'q2', 'q3'];

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
