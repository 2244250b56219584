import {
  defaultSeed,
  FakeJira,
  formatJiraDateTime,
  generateIssues,
  type FakeIssue,
} from '../test/support/fake-jira/fake-jira.js';
import { ADMIN, apiAs } from '../test/support/site.js';
import { benchRules } from './sync-bench.js';

export type ScaleSite = {
  index: number;
  jira: FakeJira;
  big: boolean;
  feeds: { id: string; url: string; jql: string }[];
};

/** Each feed's JQL: one project, two or all three, so feeds hold a third to all of the site's issues. */
const SOURCES = [
  'project = CAL',
  'project = MKT',
  'project = OPS',
  'project in (CAL, MKT)',
  'project in (CAL, OPS)',
  'project in (MKT, OPS)',
  'project in (CAL, MKT, OPS)',
];

export type SiteSettings = {
  sites: number;
  feedsPerSite: number;
  issuesPerSite: number;
  bigSites: number;
  bigSiteIssues: number;
  latencyMs: readonly [number, number];
};

/**
 * Many fake Jira sites in this process, told apart by port, sharing one set of install keys (so the app's
 * one CONNECT_KEYS_URL verifies them all) and, except the first (whose issues the bench edits), one issue
 * list per size. Each answers after a latency drawn once per site from `latencyMs`.
 */
export async function startSites(settings: SiteSettings): Promise<ScaleSite[]> {
  const installKeys = await FakeJira.generateInstallKeys();
  const shared = generateIssues(settings.issuesPerSite, { seed: 7 });
  const big = generateIssues(settings.bigSiteIssues, { seed: 8 });
  const sites: ScaleSite[] = [];
  try {
    for (let index = 0; index < settings.sites; index++) {
      const isBig = index >= settings.sites - settings.bigSites;
      const issues = index === 0 ? structuredClone(shared) : isBig ? big : shared;
      const jira = await FakeJira.start({ seed: { ...defaultSeed(), issues }, installKeys });
      const [low, high] = settings.latencyMs;
      jira.faults.latencyMs = Math.round(low + ((high - low) * index) / Math.max(1, settings.sites - 1));
      sites.push({ index, jira, big: isBig, feeds: [] });
    }
  } catch (error) {
    await stopSites(sites);
    throw error;
  }
  return sites;
}

export async function stopSites(sites: readonly ScaleSite[]): Promise<void> {
  await Promise.all(sites.map((site) => site.jira.stop()));
}

/** Runs `work` over `items`, `parallel` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  parallel: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** A real signed Connect install, then the site's feeds through the admin API, as a Jira admin would. */
export async function installAndCreateFeeds(site: ScaleSite, appUrl: string, feedsPerSite: number) {
  const install = await site.jira.install(appUrl);
  if (install.status !== 204) throw new Error(`install of site ${site.index}: ${install.status}`);
  const admin = apiAs({ url: appUrl } as Parameters<typeof apiAs>[0], site.jira, ADMIN);
  const count = site.big ? 1 : feedsPerSite;
  for (let i = 0; i < count; i++) {
    const jql = site.big ? SOURCES[6]! : SOURCES[i % SOURCES.length]!;
    const created = await admin.post('/feeds', {
      name: `Scale feed ${site.index}.${i + 1}`,
      source: { type: 'jql', jql },
      timeZone: 'Europe/Berlin',
      rules: benchRules(),
      window: { pastDays: 3650, futureDays: 3650 },
    });
    if (created.status !== 201)
      throw new Error(`feed on site ${site.index}: ${created.status} ${JSON.stringify(created.body)}`);
    site.feeds.push({ id: created.body.id as string, url: created.body.url as string, jql });
  }
}

/** Renames one of the site's CAL issues (an edit Jira reports by webhook) and returns the new summary. */
export async function editIssue(site: ScaleSite, appUrl: string, marker: string): Promise<string> {
  const issue: FakeIssue | undefined = site.jira.data.issues.find(
    (candidate) => candidate.projectKey === 'CAL' && candidate.duedate !== null,
  );
  if (!issue) throw new Error('the edited site has no CAL issue with a due date');
  issue.summary = `Edited ${marker}`;
  issue.updated = formatJiraDateTime(Date.now(), 'UTC');
  const statuses = await site.jira.sendWebhook(appUrl, 'jira:issue_updated', {
    issue: { id: issue.id, key: issue.key },
  });
  if (!statuses.every((status) => status >= 200 && status < 300))
    throw new Error(`webhook answered ${statuses.join(', ')}`);
  return issue.summary;
}
