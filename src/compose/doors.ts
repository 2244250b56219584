import type { Knex } from 'knex';
import type { Config } from '../config.js';
import { DataCenterSessionRepository } from '../db/datacenter-session-repository.js';
import { DataCenterSignInStateRepository } from '../db/datacenter-sign-in-state-repository.js';
import { DataCenterTokenRepository } from '../db/datacenter-token-repository.js';
import { TokenCipher } from '../db/token-cipher.js';
import type { DeploymentScope } from '../domain/deployment.js';
import { runsAs } from '../domain/feed.js';
import { ConnectDoor, connectJiraAccess } from '../doors/connect/connect-door.js';
import {
  DataCenterDoor,
  dataCenterClientKey,
  dataCenterJiraAccess,
} from '../doors/datacenter/datacenter-door.js';
import { DataCenterOAuth } from '../doors/datacenter/datacenter-oauth.js';
import { DataCenterTokens } from '../doors/datacenter/datacenter-tokens.js';
import { FeedTakeoverService } from '../doors/datacenter/feed-takeover-service.js';
import type { Door, JiraAccess } from '../doors/door.js';
import { ForgeDoor, forgeJiraAccess } from '../doors/forge/forge-door.js';
import { InvocationTokenVerifier } from '../doors/forge/invocation-token.js';
import type { Logger } from '../logger.js';
import type { Repositories, Services } from './core.js';

/** The Cloud edition serves every Connect and Forge installation; a Data Center one, its one Jira. */
export function deploymentScopeOf(config: Pick<Config, 'datacenter'>): DeploymentScope {
  return config.datacenter
    ? { edition: 'datacenter', clientKey: dataCenterClientKey(config.datacenter.baseUrl) }
    : { edition: 'cloud' };
}

type JiraAccessByDoor = { connect: JiraAccess; forge: JiraAccess; datacenter: JiraAccess | null };

type DoorDeps = {
  config: Config;
  knex: Knex;
  logger: Logger;
  now: () => Date;
  repositories: Repositories;
  fetch?: typeof fetch;
};

/** What a Data Center deployment holds before its door opens: the OAuth client and the people's tokens. */
type DataCenterParts = {
  config: NonNullable<Config['datacenter']>;
  oauth: DataCenterOAuth;
  tokens: DataCenterTokens;
  cipher: TokenCipher;
};

/**
 * What the core needs of the doors before it exists: how each door's installations reach Jira. Connect
 * and Forge installations stay reachable on any deployment; Data Center ones only where it is configured.
 */
export function createJiraAccess(deps: DoorDeps): {
  jiraAccess: JiraAccessByDoor;
  dataCenter: DataCenterParts | null;
} {
  const { config, now, repositories: repos } = deps;
  const dataCenter = config.datacenter ? createDataCenterParts(deps, config.datacenter) : null;
  return {
    jiraAccess: {
      connect: connectJiraAccess(config),
      forge: forgeJiraAccess(repos.forgeTokenRepository, now),
      datacenter: dataCenter ? dataCenterJiraAccess(dataCenter.tokens) : null,
    },
    dataCenter,
  };
}

function createDataCenterParts(deps: DoorDeps, config: NonNullable<Config['datacenter']>): DataCenterParts {
  const oauth = new DataCenterOAuth({
    baseUrl: config.baseUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    redirectUri: `${deps.config.baseUrl}/oauth/callback`,
  });
  const cipher = new TokenCipher(config.tokenEncryptionKey);
  const tokens = new DataCenterTokens({
    knex: deps.knex,
    tokens: new DataCenterTokenRepository(deps.knex),
    cipher,
    oauth,
    apiBaseUrl: config.baseUrl,
    siteReaders: async (clientKey) => (await deps.repositories.feedRepository.list(clientKey)).map(runsAs),
    logger: deps.logger,
    now: deps.now,
  });
  return { config, oauth, tokens, cipher };
}

export type EditionDoors = {
  /** In the order they mount and claim /api requests. */
  list: Door[];
  connect: ConnectDoor | null;
  forge: ForgeDoor | null;
  datacenter: DataCenterDoor | null;
};

/** The edition's doors: Data Center's alone, or Connect's and (when configured) Forge's. */
export function openDoors(
  deps: DoorDeps,
  core: Services,
  access: ReturnType<typeof createJiraAccess>,
): EditionDoors {
  const { jiraAccess, dataCenter } = access;
  const datacenter =
    dataCenter && jiraAccess.datacenter
      ? openDataCenterDoor(deps, core, dataCenter, jiraAccess.datacenter)
      : null;
  const connect = datacenter ? null : openConnectDoor(deps, core, jiraAccess);
  const forge = datacenter ? null : openForgeDoor(deps, core, jiraAccess);
  return { list: [connect, forge, datacenter].filter((door) => door !== null), connect, forge, datacenter };
}

function openConnectDoor(deps: DoorDeps, core: Services, jiraAccess: JiraAccessByDoor) {
  const { config, logger, now, repositories: repos } = deps;
  return new ConnectDoor(jiraAccess.connect, {
    config,
    installations: core.installations,
    installationRepository: repos.installationRepository,
    connectStore: repos.connectStoreRepository,
    lifecycleTokens: repos.lifecycleTokenRepository,
    queue: core.queue,
    logger,
    now,
    forgeEnabled: config.forge !== null,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
}

function openForgeDoor(deps: DoorDeps, core: Services, jiraAccess: JiraAccessByDoor) {
  const { config, logger, now, repositories: repos } = deps;
  if (!config.forge) return null;
  return new ForgeDoor(jiraAccess.forge, {
    verifier: new InvocationTokenVerifier({ ...config.forge, allowHttp: config.env !== 'production' }),
    installations: core.installations,
    tokens: repos.forgeTokenRepository,
    jira: core.jira,
    logger,
    now,
    dataRegion: config.dataRegion,
    queue: core.queue,
    reporting: core.personalDataReporting,
  });
}

function openDataCenterDoor(
  deps: DoorDeps,
  core: Services,
  dataCenter: DataCenterParts,
  jiraAccess: JiraAccess,
) {
  const { config, knex, logger, now } = deps;
  return new DataCenterDoor(jiraAccess, {
    config: dataCenter.config,
    appBaseUrl: config.baseUrl,
    oauth: dataCenter.oauth,
    tokens: dataCenter.tokens,
    sessions: new DataCenterSessionRepository(knex),
    signInStates: new DataCenterSignInStateRepository(knex),
    installations: core.installations,
    jira: core.jira,
    cipher: dataCenter.cipher,
    queue: core.queue,
    logger,
    now,
    takeovers: new FeedTakeoverService({
      feeds: core.feedRepository,
      feedService: core.feeds,
      syncRequests: core.syncRequests,
      now,
    }),
    admins: core.admins,
  });
}
