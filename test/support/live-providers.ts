import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config.js';
import type { ProviderKey } from '../../src/domain/calendar-provider.js';
import { UID_PROPERTY_ID } from '../../src/providers/microsoft/graph-event-body.js';
import { FakeGoogle } from './fake-google.js';
import { FakeMicrosoftGraph } from './fake-microsoft-graph.js';
import { normalisePropertyId } from './fake-microsoft-graph/graph-mailbox.js';

/** One event in the app's calendar, as the person sees it in their calendar app. */
export type RemoteEvent = { uid: string | undefined; summary: string };

/** A call the fake received, in one vocabulary for every provider: `events.patch`, `calendars.delete`… */
export type RemoteCall = { kind: string; status: number; at: number };

/**
 * One calendar provider's fake, seen the same way by the live-calendar suite: who signs in, what the
 * person's calendars hold, which calls reached it. Each Jira person has their own account at the fake.
 */
export interface LiveProviderHarness {
  readonly key: ProviderKey;
  readonly label: string;
  /** Whether the provider refuses a second calendar of the same name (Graph's 409 ErrorFolderExists). */
  readonly uniqueCalendarNames: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The app's settings that point this provider at the fake. */
  config(): Partial<Config>;
  /** Called once the app listens, with the base URL the callbacks go to. */
  appStarted(baseUrl: string): void;
  /** The next consent page signs this Jira person in and grants access; null denies. */
  signInNext(accountId: string | null): void;
  /** The calendars the app created in the person's account, events included. */
  appCalendars(accountId: string): { name: string; events: RemoteEvent[] }[];
  /** Every calendar's name in the person's account, their own included. */
  calendarNames(accountId: string): string[];
  /** The person makes a calendar of their own by this name. */
  addOwnCalendar(accountId: string, name: string): void;
  calls(): RemoteCall[];
  /** The next call is refused with 429 and this Retry-After. */
  rateLimitNext(seconds: number): void;
  /** The person withdraws consent and every access token lapses. */
  revoke(accountId: string): void;
  /** Grants the provider still honours for the person, where it can tell (Google revokes; Microsoft cannot). */
  liveGrants(accountId: string): number | null;
  /** Codes, access and refresh tokens the fake issued, and the app's client secret. */
  secrets(): string[];
  /** Calls that reached for something the app did not create: must stay empty. */
  violations(): unknown[];
}

class GoogleHarness implements LiveProviderHarness {
  readonly key = 'google' as const;
  readonly label = 'Google Calendar';
  readonly uniqueCalendarNames = false;
  private google: FakeGoogle | null = null;

  private get fake(): FakeGoogle {
    if (!this.google) throw new Error('the fake Google is not started');
    return this.google;
  }

  async start() {
    this.google = await FakeGoogle.start();
  }
  async stop() {
    await this.google?.stop();
  }
  config(): Partial<Config> {
    const { url, client } = this.fake;
    return {
      google: { ...client, oauthBaseUrl: url, apiBaseUrl: url, tokenEncryptionKey: randomBytes(32) },
      microsoft: null,
    };
  }
  appStarted() {}
  signInNext(accountId: string | null) {
    this.fake.oauth.nextUser = accountId === null ? null : googleUser(accountId);
  }
  appCalendars(accountId: string) {
    return this.fake.calendarsOf(googleUser(accountId)).map((calendar) => ({
      name: calendar.summary,
      events: calendar.events.map((event) => ({
        uid: event.extendedProperties?.private?.['calendarSyncUid'],
        summary: event.summary ?? '',
      })),
    }));
  }
  calendarNames(accountId: string) {
    return this.appCalendars(accountId).map((calendar) => calendar.name);
  }
  addOwnCalendar() {
    // calendar.app.created shows the app none of the person's own calendars, so a name never collides.
  }
  calls() {
    return this.fake.calls.map((call) => ({
      kind: call.method.replace(/^calendar\./, ''),
      status: call.status,
      at: call.at,
    }));
  }
  rateLimitNext(seconds: number) {
    this.fake.fail({ status: 429, retryAfterSeconds: seconds });
  }
  revoke(accountId: string) {
    this.fake.oauth.revokeUser(googleUser(accountId));
    this.fake.oauth.expireAccessTokens();
  }
  liveGrants(accountId: string) {
    return this.fake.oauth.liveGrants(googleUser(accountId));
  }
  secrets() {
    return [...this.fake.oauth.issuedSecrets(), this.fake.client.clientSecret];
  }
  violations() {
    return this.fake.violations;
  }
}

const googleUser = (accountId: string) => `${accountId}@google.example`;

const UID_KEY = normalisePropertyId(UID_PROPERTY_ID);

class MicrosoftHarness implements LiveProviderHarness {
  readonly key = 'microsoft' as const;
  readonly label = 'Outlook';
  readonly uniqueCalendarNames = true;
  private graph: FakeMicrosoftGraph | null = null;
  private readonly users = new Map<string, string>();

  private get fake(): FakeMicrosoftGraph {
    if (!this.graph) throw new Error('the fake Microsoft Graph is not started');
    return this.graph;
  }

  async start() {
    this.graph = await new FakeMicrosoftGraph().start();
  }
  async stop() {
    await this.graph?.stop();
  }
  config(): Partial<Config> {
    const { clientId, clientSecret, tenantId, baseUrl, graphUrl } = this.fake;
    return {
      google: null,
      microsoft: {
        clientId,
        clientSecret,
        tenant: tenantId,
        oauthBaseUrl: baseUrl,
        graphBaseUrl: graphUrl,
        tokenEncryptionKey: randomBytes(32),
      },
    };
  }
  appStarted(baseUrl: string) {
    this.fake.registerRedirectUri(`${baseUrl}/live-calendars/microsoft/callback`);
  }
  /** The person's mailbox at the fake, made on first use. */
  private userId(accountId: string): string {
    let userId = this.users.get(accountId);
    if (!userId) {
      userId = this.fake.addMailbox(`${accountId}@contoso.example`).userId;
      this.users.set(accountId, userId);
    }
    return userId;
  }
  signInNext(accountId: string | null) {
    this.fake.signInNext(
      accountId === null
        ? { userId: this.fake.firstMailbox().userId, consent: 'deny' }
        : { userId: this.userId(accountId), consent: 'grant' },
    );
  }
  appCalendars(accountId: string) {
    const userId = this.userId(accountId);
    return [...this.fake.mailbox(userId).calendars.values()]
      .filter((calendar) => calendar.byApp)
      .map((calendar) => ({
        name: calendar.name,
        events: this.fake.calendarAsSeen(userId, calendar.id).map((event) => ({
          uid: event.properties[UID_KEY],
          summary: event.subject,
        })),
      }));
  }
  calendarNames(accountId: string) {
    return this.fake.calendarNames(this.userId(accountId));
  }
  addOwnCalendar(accountId: string, name: string) {
    const reply = this.fake.mailbox(this.userId(accountId)).createCalendar({ name }, false);
    if (reply.status !== 201) throw new Error(`could not make ${name}: ${reply.status}`);
  }
  calls() {
    return this.fake.calls.map((call) => ({ kind: graphKind(call), status: call.status, at: call.at }));
  }
  rateLimitNext(seconds: number) {
    this.fake.failNext({ status: 429, retryAfterSeconds: seconds });
  }
  revoke(accountId: string) {
    this.fake.revoke(this.userId(accountId));
    this.fake.expireAccessTokens();
  }
  liveGrants() {
    // The identity platform has no revocation of one app's refresh token: it lapses unused.
    return null;
  }
  secrets() {
    const { identity, clientSecret } = this.fake;
    return [
      ...identity.codes.keys(),
      ...identity.refreshTokens.keys(),
      ...identity.accessTokens.keys(),
      clientSecret,
    ];
  }
  violations() {
    return this.fake.foreignCalls();
  }
}

/** A Graph request in the Google-style words the suite compares. */
function graphKind(call: { method: string; path: string }): string {
  const path = call.path.replace(/^\/v1\.0/, '');
  const collection = /^\/me\/calendars(\/[^/]+)?$/.test(path) ? 'calendars' : 'events';
  const verb: Record<string, string> = {
    GET: 'list',
    POST: 'insert',
    PATCH: 'patch',
    DELETE: 'delete',
  };
  return `${collection}.${verb[call.method] ?? call.method}`;
}

/** Every provider the live-calendar suite runs against. */
export const LIVE_PROVIDERS: (() => LiveProviderHarness)[] = [
  () => new GoogleHarness(),
  () => new MicrosoftHarness(),
];
