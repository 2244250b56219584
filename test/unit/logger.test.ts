import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSecretField, scrubSecrets } from '../../src/logger.js';
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

  it('blanks fields by name at any depth, whatever the value looks like (opaque Forge tokens, sealed tokens)', () => {
    const opaque = (): string => randomBytes(30).toString('base64url');
    const secrets = Array.from({ length: 12 }, opaque);
    const { logger, text } = captureLogs();
    logger.info(
      {
        headers: { 'x-forge-oauth-system': secrets[0], 'X-Forge-OAuth-User': secrets[1], cookie: secrets[2] },
        call: { request: { headers: { Authorization: `Bearer ${secrets[3]}`, 'set-cookie': [secrets[4]] } } },
        grant: { accessToken: secrets[5], refresh_token: secrets[6], refreshTokenEncrypted: secrets[7] },
        signIn: [{ codeVerifier: secrets[8], code_verifier: secrets[9] }],
        link: { clientSecret: secrets[10] },
        installation: {
          clientKey: 'site-key-stays',
          systemToken: secrets[11],
          nextPageToken: 'page-2-stays',
        },
      },
      'x',
    );
    for (const secret of secrets) expect(text()).not.toContain(secret);
    expect(text()).toContain('site-key-stays');
    expect(text()).toContain('page-2-stays');
  });

  it('knows the secret-bearing field names the code uses', () => {
    for (const name of [
      'token',
      'systemToken',
      'x-forge-oauth-system',
      'x-forge-oauth-user',
      'authorization',
      'cookie',
      'sharedSecret',
      'shared_secret',
      'feedTokenSecret',
      'clientSecret',
      'client_secret',
      'accessToken',
      'access_token',
      'refreshToken',
      'refresh_token_encrypted',
      'tokenEncryptionKey',
      'metricsToken',
      'csrfToken',
      'codeVerifier',
      'code_verifier',
      'verifier',
      'sessionId',
      'sealed',
      'password',
      'jwt',
    ])
      expect(isSecretField(name), name).toBe(true);
    for (const name of [
      'clientKey',
      'tokenHash',
      'token_nonce',
      'nextPageToken',
      'accountId',
      'code',
      'state',
    ])
      expect(isSecretField(name), name).toBe(false);
  });

  it("logs a failed statement's reason and SQLSTATE, never its values, however the error is wrapped", () => {
    const token = randomBytes(30).toString('base64url');
    // What knex (with compiled SQL) and pg hand over when an INSERT breaks a constraint; PGlite adds params.
    const failed = Object.assign(
      new Error(
        `INSERT INTO forge_system_tokens (client_key, token) VALUES ('site', '${token}') - new row for relation "forge_system_tokens" violates check constraint "c"`,
      ),
      {
        code: '23514',
        severity: 'ERROR',
        routine: 'ExecConstraints',
        detail: `Failing row contains (site, ${token}).`,
        params: ['site', token],
        query: 'INSERT INTO forge_system_tokens (client_key, token) VALUES ($1, $2)',
      },
    );
    const { logger, text } = captureLogs();
    logger.error({ err: failed }, 'direct');
    logger.error({ err: new Error('could not admit the invocation', { cause: failed }) }, 'wrapped');
    expect(text()).not.toContain(token);
    expect(text()).toContain('violates check constraint');
    expect(text()).toContain('23514');
    expect(text()).toContain('could not admit the invocation');
    // The error object the code holds is not changed by logging it.
    expect(failed.detail).toContain(token);
  });

  it("scrubs OAuth values out of URLs: Jira's code and state on the sign-in callback", () => {
    expect(scrubSecrets('/oauth/callback?code=c0de-v4lue&state=st4te-v4lue')).toBe(
      '/oauth/callback?code=[redacted]&state=[redacted]',
    );
  });
});
