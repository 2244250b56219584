import type { FaultInjector } from '../fake-jira/fake-jira-faults.js';
import type { FakeForge, FakeForgeInstallation } from '../fake-forge/fake-forge.js';
import type { FakeJiraDc } from '../fake-jira-dc/fake-jira-dc.js';
import type { FakeJira } from '../fake-jira/fake-jira.js';
import type { apiAs } from '../site.js';
import type { TestApp } from '../test-app.js';

/**
 * The front doors a site can come through: Connect and Forge for Jira Cloud, and the Data Center
 * edition (one deployment per self-managed Jira, people signed in with Jira's OAuth 2.0). Suites that
 * hold for every door run once per door.
 */
export const DOORS = ['connect', 'forge', 'datacenter'] as const;
export type DoorName = (typeof DOORS)[number];

export type ApiClient = ReturnType<typeof apiAs>;

/** A change in Jira that a door can tell the app about, as Jira's own event would name it. */
export type JiraChange =
  | { kind: 'issue_created' | 'issue_updated' | 'issue_deleted'; issueId: string }
  | { kind: 'version_updated'; versionId: string }
  | { kind: 'sprint_updated'; sprintId: number };

/** One installed site as its users reach the app, whatever the door: the contract every harness keeps. */
export type InstalledSite = {
  door: DoorName;
  /** The app process serving the site (on Data Center, the site's own deployment). */
  app: TestApp;
  jira: FakeJira;
  /** The tenant key the app stores the site under (Connect clientKey, Forge installation id, DC base URL key). */
  clientKey: string;
  api(accountId: string): ApiClient;
  uninstall(): Promise<void>;
  /** The id the app knows a seeded user by: the Cloud account id, or the Data Center user key. */
  userId(accountId: string): string;
  /**
   * The headers that authenticate one hand-made request as the user (a Connect context JWT, or the Data
   * Center session cookie and CSRF header), for requests a client would not send as written; null for
   * Forge, whose calls reach the app only through the platform's invokeRemote.
   */
  credentials: ((accountId: string) => Promise<Record<string, string>>) | null;
  /** The door's own secrets handed out so far (shared secrets, platform tokens, OAuth grants), by what they are. */
  secrets(): Promise<Record<string, string>>;
  /**
   * Tells the app of a change the way this door hears of one (a Connect webhook signed for the site, a
   * Forge product event); the status of each delivery. Null for Data Center: Jira Data Center sends the
   * app no events, so its feeds fall due on their schedule.
   */
  announce: ((change: JiraChange) => Promise<number[]>) | null;
  /**
   * Closes an account where the site's Jira keeps people (Atlassian's account service for Cloud; Data
   * Center deletes the user), then lets the app learn of it this door's way, to the end: the Connect
   * app's Personal Data Reporting batch, the Forge reporting function, the Data Center user sweep. Each
   * asks about an account at most once a cycle, so call it once per site.
   */
  closeAccount(accountId: string): Promise<void>;
  /** Faults on the Jira the app actually calls (the Cloud fake, or the Data Center fake in front of it). */
  faults: FaultInjector;
  /** The Forge installation behind the site, for Forge-only steps (events, triggers). */
  forge: FakeForgeInstallation | null;
  /** The fake Jira Data Center serving the site's data, for Data Center-only steps. */
  dc: FakeJiraDc | null;
};

export type DoorApp = {
  door: DoorName;
  app: TestApp;
  forge: FakeForge | null;
  install(jira: FakeJira): Promise<InstalledSite>;
  stop(): Promise<void>;
};
