import type { ConnectStoreRepository } from '../db/connect-store-repository.js';
import type { InstallationRepository } from '../db/installation-repository.js';
import { type Installation, isActive } from '../domain/installation.js';

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

const toClientInfo = (appKey: string, installation: Installation & { sharedSecret: string }): AceClientInfo => ({
  key: appKey,
  clientKey: installation.clientKey,
  sharedSecret: installation.sharedSecret,
  baseUrl: installation.baseUrl,
  ...(installation.displayUrl === null ? {} : { displayUrl: installation.displayUrl }),
  productType: installation.productType,
  description: installation.description ?? '',
  serverVersion: installation.serverVersion ?? '',
  pluginsVersion: installation.pluginsVersion ?? '',
  ...(installation.oauthClientId === null ? {} : { oauthClientId: installation.oauthClientId }),
});

/**
 * ACE's store contract over our own tables: `clientInfo` is the installations row (so ACE and the app
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
    const installation = await this.installations.findByClientKey(clientKey);
    return isActive(installation) ? toClientInfo(this.appKey, installation) : null;
  }

  async set(key: string, value: unknown, clientKey: string): Promise<unknown> {
    if (key === CLIENT_INFO) return this.saveInstallation(value as AceClientInfo, clientKey);
    await this.values.setValue(clientKey, key, value);
    return value;
  }

  async saveInstallation(value: AceClientInfo, clientKey: string): Promise<AceClientInfo> {
    const { installation } = await this.installations.saveInstalled(clientKey, { ...value, clientKey }, new Date());
    return toClientInfo(this.appKey, installation as Installation & { sharedSecret: string });
  }

  async del(key: string, clientKey: string): Promise<void> {
    if (key === CLIENT_INFO) {
      await this.installations.markUninstalled(clientKey, new Date());
      return;
    }
    await this.values.deleteValue(clientKey, key);
  }

  async getAllClientInfos(): Promise<AceClientInfo[]> {
    const clientKeys = await this.installations.listInstalledClientKeys();
    const infos = await Promise.all(clientKeys.map((clientKey) => this.get(CLIENT_INFO, clientKey)));
    return infos.filter((info): info is AceClientInfo => info !== null);
  }

  isMemoryStore(): boolean {
    return false;
  }
}
