import { afterAll, beforeAll, describe } from 'vitest';
import { FakeJira } from '../fake-jira/fake-jira.js';
import type { TestApp, TestAppOptions } from '../test-app.js';
import { startConnectDoor } from './connect.js';
import { startDataCenterDoor } from './datacenter.js';
import { type DoorApp, type DoorName, DOORS, type InstalledSite } from './door.js';
import { startForgeDoor } from './forge.js';

export { installConnect } from './connect.js';
export { publishTeamFeed, type TeamFeed } from './team-feed.js';
export { forgeApi, installForge } from './forge.js';
export {
  type ApiClient,
  type DoorApp,
  type DoorName,
  DOORS,
  type InstalledSite,
  type JiraChange,
} from './door.js';

const HARNESSES: Record<DoorName, (jira: FakeJira, options?: TestAppOptions) => Promise<DoorApp>> = {
  connect: startConnectDoor,
  forge: startForgeDoor,
  datacenter: startDataCenterDoor,
};

/** The app behind `door`, with the door's platform beside it; `install` puts a site behind it. */
export function startDoorApp(door: DoorName, jira: FakeJira, options: TestAppOptions = {}): Promise<DoorApp> {
  return HARNESSES[door](jira, options);
}

/** A fresh fake Jira, the app behind `door`, and the site installed through it; `stop` ends all three. */
export async function startInstalledSite(
  door: DoorName,
  options: TestAppOptions = {},
): Promise<{ jira: FakeJira; door: DoorApp; site: InstalledSite; stop: () => Promise<void> }> {
  const jira = await FakeJira.start();
  const doorApp = await startDoorApp(door, jira, options);
  return {
    jira,
    door: doorApp,
    site: await doorApp.install(jira),
    stop: async () => {
      await doorApp.stop();
      await jira.stop();
    },
  };
}

/**
 * A suite run once per door: `body` gets the door's name and declares its tests; `skip` names the
 * doors a suite cannot go through and why, so the reason shows in the report instead of vanishing.
 */
export function forEachDoor(
  body: (door: DoorName) => void,
  skip: Partial<Record<DoorName, string>> = {},
): void {
  for (const door of DOORS) {
    const why = skip[door];
    if (why) describe.skip(`through the ${door} door (skipped: ${why})`, () => undefined);
    else describe(`through the ${door} door`, () => body(door));
  }
}

export type DoorWorld = { jira: FakeJira; door: DoorApp; app: TestApp; site: InstalledSite };

/**
 * One fake Jira, the app behind `door` and the site installed through it for the enclosing describe
 * block: started before its tests, stopped after them; `ready` hands the parts to the suite.
 */
export function withInstalledSite(
  door: DoorName,
  options: TestAppOptions | (() => TestAppOptions),
  ready: (world: DoorWorld) => unknown,
): void {
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const started = await startInstalledSite(door, typeof options === 'function' ? options() : options);
    stop = started.stop;
    await ready({ jira: started.jira, door: started.door, app: started.door.app, site: started.site });
  });
  afterAll(() => stop?.());
}
