import { afterAll, beforeAll } from 'vitest';
import { type DoorApp, type DoorName, type InstalledSite, startDoorApp } from './doors.js';
import { FakeJira } from './fake-jira/fake-jira.js';
import type { TestApp, TestAppOptions } from './test-app.js';

/** What a door suite's tests reach: the fake Jira site, the app behind the door, and the site installed through it. */
export type DoorSuite = {
  readonly jira: FakeJira;
  readonly door: DoorApp;
  readonly app: TestApp;
  readonly site: InstalledSite;
};

/**
 * The setup every `describe.each(DOORS)` suite repeats: a fake Jira, the app behind `doorName` and the site
 * installed through it, started before the suite's tests and stopped after them. Read the members inside
 * tests or hooks; they exist once the suite's `beforeAll` has run.
 */
export function useDoorSuite(doorName: DoorName, options: TestAppOptions = {}): DoorSuite {
  let jira: FakeJira | undefined;
  let door: DoorApp | undefined;
  let site: InstalledSite | undefined;

  beforeAll(async () => {
    jira = await FakeJira.start();
    door = await startDoorApp(doorName, jira, options);
    site = await door.install(jira);
  });
  afterAll(async () => {
    await door?.stop();
    await jira?.stop();
  });

  const ready = <T>(value: T | undefined, name: string): T => {
    if (value === undefined)
      throw new Error(`useDoorSuite: ${name} is read before the suite's beforeAll ran`);
    return value;
  };
  return {
    get jira() {
      return ready(jira, 'jira');
    },
    get door() {
      return ready(door, 'door');
    },
    get app() {
      return ready(door, 'door').app;
    },
    get site() {
      return ready(site, 'site');
    },
  };
}
