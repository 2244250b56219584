import { z } from 'zod';
import type { SiteSettings, SiteSettingsRepository } from '../db/site-settings-repository.js';
import { badRequest } from '../errors.js';
import type { ErrorReporter, ErrorReport } from './error-reporter.js';
import type { Actor } from './actor.js';
import type { PersonalDataReportStatus } from './personal-data-reporting.js';

const settingsSchema = z.object({ errorReportingEnabled: z.boolean(), exportsEnabled: z.boolean() }).strict();

export type SiteSettingsView = SiteSettings & {
  errorReportPreview: ErrorReport;
  /** Where Personal Data Reporting to Atlassian stands; null on Data Center, which has no such API. */
  personalDataReporting: PersonalDataReportStatus | null;
};

export class SettingsService {
  constructor(
    private readonly deps: {
      settings: SiteSettingsRepository;
      reporter: ErrorReporter;
      personalData: { status(clientKey: string): Promise<PersonalDataReportStatus> };
      now: () => Date;
    },
  ) {}

  async get(actor: Actor): Promise<SiteSettingsView> {
    return {
      ...(await this.deps.settings.get(actor.clientKey)),
      errorReportPreview: this.deps.reporter.preview(),
      personalDataReporting:
        actor.installation.door === 'datacenter'
          ? null
          : await this.deps.personalData.status(actor.clientKey),
    };
  }

  async save(actor: Actor, body: unknown): Promise<SiteSettingsView> {
    const parsed = settingsSchema.safeParse(body);
    if (!parsed.success) {
      throw badRequest(
        'The settings are invalid',
        parsed.error.issues.map((issue) => ({
          path: issue.path.join('.') || '(body)',
          message: issue.message,
        })),
      );
    }
    await this.deps.settings.save(actor.clientKey, parsed.data, this.deps.now());
    return this.get(actor);
  }
}
