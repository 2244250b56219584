import type { Knex } from 'knex';
import type { Config } from '../config.js';
import { ConnectStoreRepository } from '../db/connect-store-repository.js';
import { InstallationRepository } from '../db/installation-repository.js';
import type { Logger } from '../logger.js';
import { InstallationService } from './installation-service.js';

export type Services = {
  installationRepository: InstallationRepository;
  connectStoreRepository: ConnectStoreRepository;
  installations: InstallationService;
};

export function createServices(deps: { config: Config; logger: Logger; knex: Knex; now?: () => Date }): Services {
  const installationRepository = new InstallationRepository(deps.knex);
  const connectStoreRepository = new ConnectStoreRepository(deps.knex);
  const installations = new InstallationService(installationRepository, {
    appKey: deps.config.appKey,
    jiraHosts: deps.config.jiraHosts,
    logger: deps.logger,
    ...(deps.now ? { now: deps.now } : {}),
  });
  return { installationRepository, connectStoreRepository, installations };
}
