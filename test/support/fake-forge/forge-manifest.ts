import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../../src/paths.js';

export const FORGE_APP_DIR = path.join(PROJECT_ROOT, 'forge');
export const MANIFEST_PATH = path.join(FORGE_APP_DIR, 'manifest.yml');

type Endpoint = {
  key: string;
  remote: string;
  route?: { path: string };
  auth?: { appSystemToken?: { enabled: boolean }; appUserToken?: { enabled: boolean } };
};
type Module = {
  key: string;
  endpoint?: string;
  function?: string;
  handler?: string;
  interval?: string;
  events?: string[];
  resolver?: { endpoint?: string };
};
type Remote = {
  key: string;
  baseUrl: string | Record<string, string>;
  operations?: string[];
  auth?: { appSystemToken?: { enabled: boolean }; appUserToken?: { enabled: boolean } };
};
type Manifest = {
  resources: { key: string; path: string }[];
  remotes: Remote[];
  environment?: { variables?: { key: string; default?: string }[] };
  modules: Record<string, Module[] | undefined> & { endpoint?: Endpoint[] };
  permissions: { scopes: Record<string, unknown> | string[] };
};

/** The project's own manifest.yml, read the way the Forge platform would route from it. */
export class ForgeManifest {
  private constructor(private readonly manifest: Manifest) {}

  static load(file = MANIFEST_PATH): ForgeManifest {
    return new ForgeManifest(parse(readFileSync(file, 'utf8')) as Manifest);
  }

  get scopes(): string[] {
    const { scopes } = this.manifest.permissions;
    return Array.isArray(scopes) ? scopes : Object.keys(scopes);
  }

  get remotes(): Manifest['remotes'] {
    return this.manifest.remotes;
  }

  get variables(): string[] {
    return (this.manifest.environment?.variables ?? []).map((variable) => variable.key);
  }

  get resources(): { key: string; path: string }[] {
    return this.manifest.resources;
  }

  modules(type: string): Module[] {
    return this.manifest.modules[type] ?? [];
  }

  get endpoints(): Endpoint[] {
    return this.manifest.modules.endpoint ?? [];
  }

  endpoint(key: string): Endpoint {
    const found = (this.manifest.modules.endpoint ?? []).find((endpoint) => endpoint.key === key);
    if (!found) throw new Error(`manifest.yml has no endpoint '${key}'`);
    return found;
  }

  remote(key: string): Remote | null {
    return this.manifest.remotes.find((remote) => remote.key === key) ?? null;
  }

  /** The scheduled trigger that runs the function module `functionKey`. */
  functionTrigger(functionKey: string): Module {
    if (!this.modules('function').some((module) => module.key === functionKey))
      throw new Error(`manifest.yml has no function '${functionKey}'`);
    const trigger = this.modules('scheduledTrigger').find((module) => module.function === functionKey);
    if (!trigger) throw new Error(`no scheduledTrigger in manifest.yml runs the function '${functionKey}'`);
    return trigger;
  }

  /** The endpoint a trigger subscribed to `eventType` is delivered to. */
  triggerEndpoint(eventType: string): Endpoint {
    const trigger = this.modules('trigger').find((module) => module.events?.includes(eventType));
    if (!trigger?.endpoint) throw new Error(`no trigger in manifest.yml listens to ${eventType}`);
    return this.endpoint(trigger.endpoint);
  }

  /** The endpoint of the first module of `type` (scheduledTrigger, preUninstall). */
  moduleEndpoint(type: string): Endpoint {
    const module = this.modules(type)[0];
    if (!module?.endpoint) throw new Error(`manifest.yml has no ${type} with an endpoint`);
    return this.endpoint(module.endpoint);
  }

  /** The endpoint behind a UI module's resolver (jira:adminPage, jira:globalPage). */
  uiEndpoint(moduleKey: string): Endpoint {
    for (const type of ['jira:adminPage', 'jira:globalPage']) {
      const module = this.modules(type).find((candidate) => candidate.key === moduleKey);
      if (module?.resolver?.endpoint) return this.endpoint(module.resolver.endpoint);
    }
    throw new Error(`manifest.yml has no UI module '${moduleKey}' with a resolver endpoint`);
  }
}
