import type { Knex } from 'knex';

export type SiteSettings = { errorReportingEnabled: boolean; exportsEnabled: boolean };

type SiteSettingsRow = {
  client_key: string;
  error_reporting_enabled: boolean;
  exports_enabled: boolean;
  updated_at: Date;
};

export const DEFAULT_SITE_SETTINGS: SiteSettings = { errorReportingEnabled: true, exportsEnabled: true };

export class SiteSettingsRepository {
  constructor(private readonly knex: Knex) {}

  async get(clientKey: string): Promise<SiteSettings> {
    const row = await this.knex<SiteSettingsRow>('site_settings').where({ client_key: clientKey }).first();
    return row
      ? { errorReportingEnabled: row.error_reporting_enabled, exportsEnabled: row.exports_enabled }
      : DEFAULT_SITE_SETTINGS;
  }

  async save(clientKey: string, settings: SiteSettings, now: Date): Promise<SiteSettings> {
    await this.knex<SiteSettingsRow>('site_settings')
      .insert({
        client_key: clientKey,
        error_reporting_enabled: settings.errorReportingEnabled,
        exports_enabled: settings.exportsEnabled,
        updated_at: now,
      })
      .onConflict('client_key')
      .merge();
    return settings;
  }
}
