import ace from 'atlassian-connect-express';
import type { Application } from 'express';
import type { ConnectStoreRepository } from '../../db/connect-store-repository.js';
import type { InstallationRepository } from '../../db/installation-repository.js';
import type { Logger } from '../../logger.js';
import { DESCRIPTOR_PATH, PROJECT_ROOT } from '../../paths.js';
import { AceKnexStore } from './ace-store-adapter.js';

const STORE_ADAPTER = 'calendar-sync-knex';

export type AceAddonOptions = {
  env: 'development' | 'test' | 'production';
  appKey: string;
  baseUrl: string;
  jiraHosts: string[];
  installations: InstallationRepository;
  connectStore: ConnectStoreRepository;
  logger: Logger;
};

/** ACE logs through console-style calls; route them into pino at debug level (they are ACE's chatter, not ours). */
function aceConsole(logger: Logger): Console {
  const child = logger.child({ component: 'ace' });
  const log =
    (level: 'debug' | 'warn' | 'error') =>
    (...args: unknown[]) =>
      child[level](args.map((arg) => (typeof arg === 'string' ? arg : '[object]')).join(' '));
  return { ...console, log: log('debug'), info: log('debug'), warn: log('warn'), error: log('error') };
}

/**
 * Starts ACE on the app with our knex-backed store and resolves once ACE has mounted its routes (the
 * descriptor). Lifecycle callbacks are mounted by us, because ACE's own install route fetches keys
 * through the deprecated `request` client from a process-wide environment variable.
 */
export async function startAceAddon(app: Application, options: AceAddonOptions): Promise<ace.AddOn> {
  const store = new AceKnexStore(options.appKey, options.installations, options.connectStore);
  ace.store.register(STORE_ADAPTER, () => store as unknown as ace.StoreAdapter);

  const mode = options.env === 'production' ? 'production' : 'development';
  app.set('env', mode);
  const modeConfig = {
    store: { adapter: STORE_ADAPTER },
    localBaseUrl: options.baseUrl,
    appKey: options.appKey,
    setupInstallRoute: false,
    watch: false,
    validateDescriptor: false,
    product: 'jira',
    whitelist: options.jiraHosts.join(','),
    environment: mode,
  };
  const rejectionListeners = new Set(process.listeners('unhandledRejection'));
  const addon = await new Promise<ace.AddOn>((resolve) => {
    const created: ace.AddOn = ace(
      app,
      { config: { [mode]: modeConfig } },
      aceConsole(options.logger),
      // ACE reads the file itself and also mounts it at <baseUrl path>/<this name>, so the name must stay plain.
      { descriptorFilename: process.cwd() === PROJECT_ROOT ? 'atlassian-connect.json' : DESCRIPTOR_PATH },
      () => resolve(created),
    );
  });
  // ACE installs a process-wide unhandledRejection logger per instance; main.ts owns that concern.
  for (const listener of process.listeners('unhandledRejection')) {
    if (!rejectionListeners.has(listener)) process.off('unhandledRejection', listener);
  }
  return addon;
}
