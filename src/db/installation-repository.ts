import type { Knex } from 'knex';
import type {
  ConnectInstall,
  Credentials,
  Door,
  ForgeInstall,
  Installation,
  InstallationState,
} from '../domain/installation.js';

type InstallationRow = {
  client_key: string;
  door: Door;
  base_url: string;
  display_url: string | null;
  product_type: string;
  description: string | null;
  server_version: string | null;
  plugins_version: string | null;
  oauth_client_id: string | null;
  shared_secret: string | null;
  cloud_id: string | null;
  api_base_url: string | null;
  state: InstallationState;
  installed_at: Date;
  updated_at: Date;
  uninstalled_at: Date | null;
};

function toCredentials(row: InstallationRow): Credentials | null {
  if (row.state !== 'installed') return null;
  if (row.door === 'connect') {
    return row.shared_secret === null
      ? null
      : { door: 'connect', sharedSecret: row.shared_secret, oauthClientId: row.oauth_client_id };
  }
  if (row.door === 'datacenter') {
    return row.api_base_url === null ? null : { door: 'datacenter', apiBaseUrl: row.api_base_url };
  }
  return row.cloud_id === null || row.api_base_url === null
    ? null
    : { door: 'forge', cloudId: row.cloud_id, apiBaseUrl: row.api_base_url };
}

const toInstallation = (row: InstallationRow): Installation => ({
  clientKey: row.client_key,
  door: row.door,
  baseUrl: row.base_url,
  displayUrl: row.display_url,
  productType: row.product_type,
  description: row.description,
  serverVersion: row.server_version,
  pluginsVersion: row.plugins_version,
  credentials: toCredentials(row),
  state: row.state,
  installedAt: row.installed_at,
  updatedAt: row.updated_at,
  uninstalledAt: row.uninstalled_at,
});

type Details = Omit<InstallationRow, 'client_key' | 'installed_at'>;

export class InstallationRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<InstallationRow>('installations').where({ client_key: clientKey });
  }

  async findByClientKey(clientKey: string): Promise<Installation | null> {
    const row = await this.scoped(clientKey).first();
    return row ? toInstallation(row) : null;
  }

  /** Creates or refreshes a Connect installation; a reinstall replaces the shared secret. */
  async saveConnectInstall(
    clientKey: string,
    payload: ConnectInstall,
    now: Date,
  ): Promise<{ installation: Installation; reinstall: boolean }> {
    return this.upsert(clientKey, 'connect', now, { revive: true }, () => ({
      door: 'connect',
      base_url: payload.baseUrl,
      display_url: payload.displayUrl ?? null,
      product_type: payload.productType ?? 'jira',
      description: payload.description ?? null,
      server_version: payload.serverVersion ?? null,
      plugins_version: payload.pluginsVersion ?? null,
      oauth_client_id: payload.oauthClientId ?? null,
      shared_secret: payload.sharedSecret,
      cloud_id: null,
      api_base_url: null,
      state: 'installed',
      updated_at: now,
      uninstalled_at: null,
    }));
  }

  /**
   * Creates or refreshes a Forge installation. `siteUrl` may be unknown (backend invocations do not
   * carry it): then the stored one stays, or `fallbackSiteUrl` is asked for.
   */
  async saveForgeInstall(
    clientKey: string,
    install: ForgeInstall,
    now: Date,
    fallbackSiteUrl: () => Promise<string>,
    options: { revive: boolean },
  ): Promise<{ installation: Installation; reinstall: boolean }> {
    const known = await this.scoped(clientKey).first();
    const siteUrl =
      install.siteUrl ??
      (known?.door === 'forge' && known.base_url !== '' ? known.base_url : await fallbackSiteUrl());
    return this.upsert(clientKey, 'forge', now, options, () => ({
      door: 'forge',
      base_url: siteUrl,
      display_url: siteUrl,
      product_type: 'jira',
      description: null,
      server_version: null,
      plugins_version: install.appVersion,
      oauth_client_id: null,
      shared_secret: null,
      cloud_id: install.cloudId,
      api_base_url: install.apiBaseUrl,
      state: 'installed',
      updated_at: now,
      uninstalled_at: null,
    }));
  }

  /** The one Jira Data Center instance this deployment serves, recorded on its first sign-in. */
  async saveDataCenterInstall(
    clientKey: string,
    install: { baseUrl: string; serverVersion: string | null },
    now: Date,
  ): Promise<{ installation: Installation; reinstall: boolean }> {
    return this.upsert(clientKey, 'datacenter', now, { revive: true }, () => ({
      door: 'datacenter',
      base_url: install.baseUrl,
      display_url: install.baseUrl,
      product_type: 'jira',
      description: 'Jira Data Center',
      server_version: install.serverVersion,
      plugins_version: null,
      oauth_client_id: null,
      shared_secret: null,
      cloud_id: null,
      api_base_url: install.baseUrl,
      state: 'installed',
      updated_at: now,
      uninstalled_at: null,
    }));
  }

  /** A UI invocation names the site URL; keep it current without touching anything else. */
  async updateSiteUrl(clientKey: string, siteUrl: string, now: Date): Promise<void> {
    await this.scoped(clientKey)
      .where({ door: 'forge', state: 'installed' })
      .whereNot({ base_url: siteUrl })
      .update({ base_url: siteUrl, display_url: siteUrl, updated_at: now });
  }

  /** `revive: false` leaves an uninstalled site's tombstone as it is and returns it. */
  private async upsert(
    clientKey: string,
    door: Door,
    now: Date,
    options: { revive: boolean },
    details: () => Details,
  ): Promise<{ installation: Installation; reinstall: boolean }> {
    return this.knex.transaction(async (trx) => {
      const existing = await this.scoped(clientKey, trx).forUpdate().first();
      if (existing && existing.door !== door && existing.state === 'installed') {
        throw new Error(`Installation ${clientKey} belongs to the ${existing.door} door`);
      }
      if (existing?.state === 'uninstalled' && !options.revive)
        return { installation: toInstallation(existing), reinstall: false };
      const values = details();
      const [row] = existing
        ? await this.scoped(clientKey, trx)
            .update({ ...values, installed_at: existing.state === 'installed' ? existing.installed_at : now })
            .returning('*')
        : await trx<InstallationRow>('installations')
            .insert({ client_key: clientKey, installed_at: now, ...values })
            .returning('*');
      return {
        installation: toInstallation(row as InstallationRow),
        reinstall: existing?.state === 'installed',
      };
    });
  }

  /**
   * Deletes the installation row, which cascades to every tenant table, then leaves a tombstone without
   * credentials so the site's history (and a later reinstall) is still recognisable.
   */
  async markUninstalled(clientKey: string, now: Date): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      const existing = await this.scoped(clientKey, trx).forUpdate().first();
      if (!existing) return false;
      await this.scoped(clientKey, trx).delete();
      await trx<InstallationRow>('installations').insert({
        ...existing,
        shared_secret: null,
        oauth_client_id: null,
        cloud_id: null,
        api_base_url: null,
        state: 'uninstalled',
        updated_at: now,
        uninstalled_at: now,
      });
      return true;
    });
  }

  /** Every site that currently has the app installed; the scheduler's entry point, deliberately cross-tenant. */
  async listInstalledClientKeys(door?: Door): Promise<string[]> {
    const rows = await this.knex<InstallationRow>('installations')
      .where({ state: 'installed', ...(door ? { door } : {}) })
      .select('client_key');
    return rows.map((row) => row.client_key);
  }
}
