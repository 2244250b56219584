import { describe, expect, it } from 'vitest';
import type { SiteSettingsRepository } from '../../src/db/site-settings-repository.js';
import { ErrorReporter } from '../../src/services/error-reporter.js';
import { captureLogs } from '../support/log-capture.js';

const reporter = new ErrorReporter({
  url: null,
  environment: 'test',
  settings: {} as SiteSettingsRepository,
  logger: captureLogs().logger,
  now: () => new Date('2026-01-01T00:00:00Z'),
});

describe('error reports', () => {
  it("keep the database's reason rather than the SQL text knex puts in front of it", () => {
    const error = Object.assign(
      new Error('insert into "feed_events" ("event") values ($1) - unsupported Unicode escape sequence'),
      { code: '22P05' },
    );
    expect(reporter.build('site', error, 'sync').message).toBe(
      'unsupported Unicode escape sequence (SQLSTATE 22P05)',
    );
  });

  it('name the site only by a one-way hash and scrub tokens from messages and stacks', () => {
    const report = reporter.build('secret-client-key', new Error('bad /ical/abcdefTOKEN.ics'), 'GET /x');
    expect(report.site).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(report)).not.toContain('secret-client-key');
    expect(report.message).toBe('bad /ical/[redacted]');
  });

  it('sends nothing when no reporting URL is configured', async () => {
    expect(await reporter.report('site', new Error('x'), 'sync')).toBe(false);
  });
});
