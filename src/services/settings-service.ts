import { z } from 'zod';
import type { SiteSettings, SiteSettingsRepository } from '../db/site-settings-repository.js';
import { badRequest } from '../errors.js';
import type { ErrorReporter, ErrorReport } from './error-reporter.js';
import type { Actor } from './actor.js';

const settingsSchema = z.object({ errorReportingEnabled: z.boolean(), exportsEnabled: z.boolean() }).strict();

export class SettingsService {
  constructor(
    private readonly deps: { settings: SiteSettingsRepository; reporter: ErrorReporter; now: () => Date },
  ) {}

  async get(actor: Actor): Promise<SiteSettings & { errorReportPreview: ErrorReport }> {
    return {
      ...(await this.deps.settings.get(actor.clientKey)),
      errorReportPreview: this.deps.reporter.preview(),
    };
  }

  async save(actor: Actor, body: unknown): Promise<SiteSettings & { errorReportPreview: ErrorReport }> {
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
