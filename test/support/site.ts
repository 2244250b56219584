import type { FakeJira } from './fake-jira/fake-jira.js';
import { SEED_ACCOUNTS } from './fake-jira/fake-jira-seed.js';
import type { TestApp } from './test-app.js';
import { waitFor } from './wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON the API returned
export type ApiResponse = { status: number; body: any; headers: Headers };

/** Calls the app's JSON API as a Jira user would from an iframe: with a fresh context JWT from their site. */
export function apiAs(app: TestApp, jira: FakeJira, accountId: string) {
  const request = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const response = await fetch(`${app.url}/api${path}`, {
      method,
      headers: {
        authorization: `JWT ${jira.contextToken({ accountId })}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return apiClient(request);
}

export type ApiRequest = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

/** The verbs tests call the API with, over one door's way of sending a request. */
export function apiClient(request: ApiRequest) {
  return {
    get: (path: string) => request('GET', path),
    post: (path: string, body?: unknown) => request('POST', path, body ?? {}),
    put: (path: string, body: unknown) => request('PUT', path, body),
    delete: (path: string) => request('DELETE', path),
    raw: request,
  };
}

/**
 * Registers a second fake site directly in the database (as an install would), for cross-tenant tests
 * that need two sites behind one app; start that FakeJira with the same `sharedSecret`.
 */
export async function registerSite(app: TestApp, jira: FakeJira, sharedSecret: string): Promise<void> {
  await app.db.knex('installations').insert({
    client_key: jira.clientKey,
    base_url: jira.baseUrl,
    product_type: 'jira',
    shared_secret: sharedSecret,
    state: 'installed',
    installed_at: new Date(),
    updated_at: new Date(),
  });
}

export const ADMIN = SEED_ACCOUNTS.alice;
export const NON_ADMIN = SEED_ACCOUNTS.bob;

/** A feed touching every rule kind over the seeded CAL project. */
/** One rule of every kind, over the seed's fields: a feed that exercises all of event building. */
export const EVERY_RULE_KIND = [
  { id: 'due', kind: 'allDay', field: 'duedate' },
  {
    id: 'go-live',
    kind: 'timed',
    field: 'customfield_10030',
    end: { type: 'durationField', field: 'customfield_10031', defaultMinutes: 30 },
  },
  {
    id: 'kickoff',
    kind: 'dateWithTime',
    field: 'customfield_10015',
    startTime: '09:00',
    startTimeField: 'customfield_10033',
    timeZone: 'Europe/Berlin',
    end: { type: 'fixedEndTime', time: '17:00' },
  },
  { id: 'span', kind: 'range', startField: 'customfield_10015', endField: 'duedate' },
  { id: 'sprints', kind: 'sprint' },
  { id: 'releases', kind: 'version' },
] as const;

export function sampleFeedConfig(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Calendar Platform dates',
    source: { type: 'jql', jql: 'project = CAL ORDER BY key' },
    timeZone: 'Europe/Berlin',
    rules: [
      { id: 'due', kind: 'allDay', field: 'duedate' },
      { id: 'sprints', kind: 'sprint' },
      { id: 'releases', kind: 'version', useStartDate: true },
    ],
    window: { pastDays: 3650, futureDays: 3650 },
    ...overrides,
  };
}

export async function fetchFeed(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/**
 * Syncs the feed now; when the app's worker is already syncing it (the feed's creation queued one), waits
 * for that sync to succeed instead, so the feed is served either way.
 */
export async function syncNow(
  app: Pick<TestApp, 'services'>,
  clientKey: string,
  feedId: string,
): Promise<void> {
  const outcome = await app.services.sync.syncFeed(clientKey, feedId);
  if (outcome.status === 'ok') return;
  if (outcome.status !== 'deferred') throw new Error(`the sync did not run: ${JSON.stringify(outcome)}`);
  await waitFor('the worker’s sync of the feed', async () => {
    const status = await app.services.syncRepository.find(clientKey, feedId);
    return status !== null && status.lastSuccessAt !== null && status.state !== 'running';
  });
}
