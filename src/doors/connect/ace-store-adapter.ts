import type { ConnectStoreRepository } from '../../db/connect-store-repository.js';
import type { InstallationRepository } from '../../db/installation-repository.js';
import {
  type ActiveConnectInstallation,
  type Installation,
  isActive,
  isConnect,
} from '../../domain/installation.js';

const CLIENT_INFO = 'clientInfo';

export type AceClientInfo = {
  key: string;
  clientKey: string;
  sharedSecret: string;
  baseUrl: string;
  displayUrl?: string;
  productType: string;
  description: string;
  serverVersion: string;
  pluginsVersion: string;
  oauthClientId?: string;
};

const asConnect = (installation: Installation | null): ActiveConnectInstallation | null =>
  isActive(installation) && isConnect(installation) ? installation : null;

const toClientInfo = (appKey: string, installation: ActiveConnectInstallation): AceClientInfo => ({
  key: appKey,
  clientKey: installation.clientKey,
  sharedSecret: installation.credentials.sharedSecret,
  baseUrl: installation.baseUrl,
  ...(installation.displayUrl === null ? {} : { displayUrl: installation.displayUrl }),
  productType: installation.productType,
  description: installation.description ?? '',
  serverVersion: installation.serverVersion ?? '',
  pluginsVersion: installation.pluginsVersion ?? '',
  ...(installation.credentials.oauthClientId === null
    ? {}
    : { oauthClientId: installation.credentials.oauthClientId }),
});

/**
 * ACE's store contract over our own tables (Connect installations only): `clientInfo` is the installations row (so ACE and the app
 * can never disagree about a site), every other key lives in connect_store. Registering this before
 * ACE starts keeps ACE's default Sequelize store from ever loading.
 */
export class AceKnexStore {
  constructor(
    private readonly appKey: string,
    private readonly installations: InstallationRepository,
    private readonly values: ConnectStoreRepository,
  ) {}

  async get(key: string, clientKey: string): Promise<unknown> {
    if (key !== CLIENT_INFO) return this.values.findValue(clientKey, key);
    const installation = asConnect(await this.installations.findByClientKey(clientKey));
    return installation ? toClientInfo(this.appKey, installation) : null;
  }

  async set(key: string, value: unknown, clientKey: string): Promise<unknown> {
    if (key === CLIENT_INFO) return this.saveInstallation(value as AceClientInfo, clientKey);
    await this.values.setValue(clientKey, key, value);
    return value;
  }

  async saveInstallation(value: AceClientInfo, clientKey: string): Promise<AceClientInfo> {
    const { installation } = await this.installations.saveConnectInstall(
      clientKey,
      { ...value, clientKey },
      new Date(),
    );
    const saved = asConnect(installation);
    if (!saved) throw new Error('a saved Connect installation is always active');
    return toClientInfo(this.appKey, saved);
  }

  async del(key: string, clientKey: string): Promise<void> {
    if (key === CLIENT_INFO) {
      await this.installations.markUninstalled(clientKey, new Date());
      return;
    }
    await this.values.deleteValue(clientKey, key);
  }

  async getAllClientInfos(): Promise<AceClientInfo[]> {
    const clientKeys = await this.installations.listInstalledClientKeys('connect');
    const infos = await Promise.all(clientKeys.map((clientKey) => this.get(CLIENT_INFO, clientKey)));
    return infos.filter((info): info is AceClientInfo => info !== null);
  }

  isMemoryStore(): boolean {
    return false;
  }
}
