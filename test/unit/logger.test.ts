import { describe, expect, it } from 'vitest';
import { scrubSecrets } from '../../src/logger.js';
import { captureLogs } from '../support/log-capture.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJzaXRlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('logger redaction', () => {
  it('blanks secret-bearing keys wherever they sit', () => {
    const { logger, text } = captureLogs();
    logger.info(
      {
        sharedSecret: 'top-secret-1',
        req: { headers: { authorization: `JWT ${JWT}` } },
        install: { sharedSecret: 'top-secret-2' },
      },
      'x',
    );
    expect(text()).not.toContain('top-secret-1');
    expect(text()).not.toContain('top-secret-2');
    expect(text()).not.toContain(JWT);
    expect(text()).toContain('[redacted]');
  });

  it('scrubs JWTs and feed tokens out of messages and errors', () => {
    const { logger, text } = captureLogs();
    logger.warn(`calling /rest/api/3/myself?jwt=${JWT}`);
    logger.error({ err: new Error(`bad token ${JWT} for /ical/abcDEF123secret.ics`) }, 'failed');
    expect(text()).not.toContain(JWT);
    expect(text()).not.toContain('abcDEF123secret');
    expect(scrubSecrets('/ical/tok123.ics?x=1')).toBe('/ical/[redacted]?x=1');
  });
});
