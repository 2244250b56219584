import type { Knex } from 'knex';
import type { Installation, InstallationState, InstallPayload } from '../domain/installation.js';

type InstallationRow = {
  client_key: string;
  base_url: string;
  display_url: string | null;
  product_type: string;
  description: string | null;
  server_version: string | null;
  plugins_version: string | null;
  oauth_client_id: string | null;
  shared_secret: string | null;
  state: InstallationState;
  installed_at: Date;
  updated_at: Date;
  uninstalled_at: Date | null;
};

const toInstallation = (row: InstallationRow): Installation => ({
  clientKey: row.client_key,
  baseUrl: row.base_url,
  displayUrl: row.display_url,
  productType: row.product_type,
  description: row.description,
  serverVersion: row.server_version,
  pluginsVersion: row.plugins_version,
  oauthClientId: row.oauth_client_id,
  sharedSecret: row.shared_secret,
  state: row.state,
  installedAt: row.installed_at,
  updatedAt: row.updated_at,
  uninstalledAt: row.uninstalled_at,
});

export class InstallationRepository {
  constructor(private readonly knex: Knex) {}

  private scoped(clientKey: string, db: Knex | Knex.Transaction = this.knex) {
    return db<InstallationRow>('installations').where({ client_key: clientKey });
  }

  async findByClientKey(clientKey: string): Promise<Installation | null> {
    const row = await this.scoped(clientKey).first();
    return row ? toInstallation(row) : null;
  }

  /** Creates or refreshes the installation; a reinstall replaces the shared secret. */
  async saveInstalled(clientKey: string, payload: InstallPayload, now: Date): Promise<{ installation: Installation; reinstall: boolean }> {
    return this.knex.transaction(async (trx) => {
      const existing = await this.scoped(clientKey, trx).forUpdate().first();
      const details = {
        base_url: payload.baseUrl,
        display_url: payload.displayUrl ?? null,
        product_type: payload.productType ?? 'jira',
        description: payload.description ?? null,
        server_version: payload.serverVersion ?? null,
        plugins_version: payload.pluginsVersion ?? null,
        oauth_client_id: payload.oauthClientId ?? null,
        shared_secret: payload.sharedSecret,
        state: 'installed' as const,
        updated_at: now,
        uninstalled_at: null,
      };
      const [row] = existing
        ? await this.scoped(clientKey, trx)
            .update({ ...details, installed_at: existing.state === 'installed' ? existing.installed_at : now })
            .returning('*')
        : await trx<InstallationRow>('installations')
            .insert({ client_key: clientKey, installed_at: now, ...details })
            .returning('*');
      return { installation: toInstallation(row as InstallationRow), reinstall: existing?.state === 'installed' };
    });
  }

  /**
   * Deletes the installation row, which cascades to every tenant table, then leaves a tombstone without
   * the shared secret so the site's history (and a later reinstall) is still recognisable.
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
        state: 'uninstalled',
        updated_at: now,
        uninstalled_at: now,
      });
      return true;
    });
  }

  /** Every site that currently has the app installed; the scheduler's entry point, deliberately cross-tenant. */
  async listInstalledClientKeys(): Promise<string[]> {
    const rows = await this.knex<InstallationRow>('installations').where({ state: 'installed' }).select('client_key');
    return rows.map((row) => row.client_key);
  }
}
