import type { InstallationRepository } from '../db/installation-repository.js';
import {
  type ActiveInstallation,
  type ConnectInstall,
  type Door,
  type ForgeInstall,
  isActive,
} from '../domain/installation.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Installing and uninstalling sites, whichever door they use; the doors parse and verify, this stores. */
export class InstallationService {
  constructor(
    private readonly installations: InstallationRepository,
    private readonly options: { logger: Logger; now?: () => Date },
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async installConnect(install: ConnectInstall): Promise<void> {
    const { reinstall } = await this.installations.saveConnectInstall(install.clientKey, install, this.now());
    this.options.logger.info(
      { clientKey: install.clientKey, baseUrl: install.baseUrl, door: 'connect', reinstall },
      'app installed',
    );
  }

  /**
   * Records a Forge installation Forge vouched for. An uninstalled one comes back only through Forge's
   * install event (`revive`); anything else for it is refused, so no stray invocation re-creates a tenant.
   */
  async installForge(
    install: ForgeInstall,
    siteUrl: () => Promise<string>,
    options: { revive: boolean; by: string },
  ): Promise<ActiveInstallation> {
    const { installation, reinstall } = await this.installations.saveForgeInstall(
      install.installationId,
      install,
      this.now(),
      siteUrl,
      { revive: options.revive },
    );
    if (installation.state === 'uninstalled') {
      this.options.logger.warn(
        { clientKey: install.installationId, door: 'forge', invocation: options.by },
        'Forge invocation for an uninstalled installation refused',
      );
      throw new AppError(
        410,
        'installation_uninstalled',
        'Calendar Sync was uninstalled from this site and its data deleted; only installing the app again brings it back',
      );
    }
    if (!reinstall) {
      this.options.logger.info(
        { clientKey: install.installationId, baseUrl: installation.baseUrl, door: 'forge' },
        'app installed',
      );
    }
    if (!isActive(installation)) throw new Error('a saved Forge installation is always active');
    return installation;
  }

  /** The Data Center instance of this deployment, recorded (again) when someone signs in. */
  async installDataCenter(
    clientKey: string,
    install: { baseUrl: string; serverVersion: string | null },
  ): Promise<ActiveInstallation> {
    const known = await this.findActive(clientKey);
    if (known && known.credentials.door === 'datacenter' && known.baseUrl === install.baseUrl) return known;
    const { installation } = await this.installations.saveDataCenterInstall(clientKey, install, this.now());
    this.options.logger.info({ clientKey, baseUrl: install.baseUrl, door: 'datacenter' }, 'app installed');
    if (!isActive(installation)) throw new Error('a saved Data Center installation is always active');
    return installation;
  }

  async updateSiteUrl(clientKey: string, siteUrl: string): Promise<void> {
    await this.installations.updateSiteUrl(clientKey, siteUrl, this.now());
  }

  async uninstall(clientKey: string, door: Door): Promise<void> {
    const installation = await this.installations.findByClientKey(clientKey);
    if (installation && installation.door !== door) {
      throw new AppError(
        401,
        'unauthorized',
        `This site was installed through ${installation.door}, not ${door}`,
      );
    }
    const existed = await this.installations.markUninstalled(clientKey, this.now());
    this.options.logger.info({ clientKey, door, existed }, 'app uninstalled; tenant data deleted');
  }

  async getActive(clientKey: string): Promise<ActiveInstallation> {
    const installation = await this.findActive(clientKey);
    if (!installation) throw new AppError(401, 'unauthorized', 'This Jira site has not installed the app');
    return installation;
  }

  async findActive(clientKey: string): Promise<ActiveInstallation | null> {
    const installation = await this.installations.findByClientKey(clientKey);
    return isActive(installation) ? installation : null;
  }
}
