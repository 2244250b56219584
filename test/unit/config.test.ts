import { describe, expect, it } from 'vitest';
import { liveCalendarTokenKey } from '../../src/config-live-calendars.js';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives a working local default with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      baseUrl: 'http://localhost:3000',
      databaseUrl: null,
      appKey: 'calendar-sync',
    });
  });

  it("reads DATA_REGION as one of Forge's data-residency keys, `default` unless set", () => {
    expect(loadConfig({}).dataRegion).toBe('default');
    expect(loadConfig({ DATA_REGION: 'EU' }).dataRegion).toBe('EU');
    expect(() => loadConfig({ DATA_REGION: 'Mars' })).toThrow(/DATA_REGION: Invalid option: expected one of/);
  });

  it('lists every problem at once, by variable name', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://nope',
        LOG_LEVEL: 'loud',
        FEED_TOKEN_SECRET: 'short',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^PORT: /m);
    expect(problems).toMatch(/^DATABASE_URL: /m);
    expect(problems).toMatch(/^LOG_LEVEL: /m);
    expect(problems).toMatch(/^FEED_TOKEN_SECRET: must be at least 32 characters/m);
    expect((error as ConfigError).message).toContain('Invalid configuration:');
  });

  it('requires an https BASE_URL and a feed token secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', BASE_URL: 'http://app.example.com' })).toThrow(
      /BASE_URL: is required in production and must be https[\s\S]*FEED_TOKEN_SECRET: is required in production/,
    );
    const config = loadConfig({
      NODE_ENV: 'production',
      BASE_URL: 'https://app.example.com/',
      FEED_TOKEN_SECRET: 'x'.repeat(40),
    });
    expect(config.baseUrl).toBe('https://app.example.com');
  });

  it('treats empty variables as unset and parses host lists', () => {
    const config = loadConfig({ DATABASE_URL: '', JIRA_HOSTS: 'a.example.com, *.atlassian.net' });
    expect(config.databaseUrl).toBeNull();
    expect(config.jiraHosts).toEqual(['a.example.com', '*.atlassian.net']);
  });

  describe('the Data Center edition', () => {
    const key = 'ab'.repeat(32);
    const dc = {
      EDITION: 'datacenter',
      JIRA_DC_BASE_URL: 'https://jira.example.com/',
      JIRA_DC_CLIENT_ID: 'c1d2',
      JIRA_DC_CLIENT_SECRET: 's'.repeat(32),
      TOKEN_ENCRYPTION_KEY: key,
    };

    it('reads the instance, the application link and a 32-byte key', () => {
      const config = loadConfig(dc);
      expect(config.datacenter).toMatchObject({
        baseUrl: 'https://jira.example.com',
        clientId: 'c1d2',
        sessionTtlMs: 12 * 3_600_000,
      });
      expect(config.datacenter?.tokenEncryptionKey).toEqual(Buffer.from(key, 'hex'));
      expect(
        loadConfig({ ...dc, TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }).datacenter
          ?.tokenEncryptionKey,
      ).toEqual(Buffer.alloc(32, 7));
      expect(loadConfig({}).datacenter).toBeNull();
    });

    it('names every missing or bad variable', () => {
      expect(() => loadConfig({ EDITION: 'datacenter' })).toThrow(
        /JIRA_DC_BASE_URL: is required[\s\S]*JIRA_DC_CLIENT_ID: is required[\s\S]*JIRA_DC_CLIENT_SECRET: is required[\s\S]*TOKEN_ENCRYPTION_KEY: is required/,
      );
      expect(() => loadConfig({ ...dc, TOKEN_ENCRYPTION_KEY: 'short' })).toThrow(
        /TOKEN_ENCRYPTION_KEY: must be 32 random bytes/,
      );
      expect(() => loadConfig({ ...dc, FORGE_APP_ID: '00000000-0000-4000-8000-000000000000' })).toThrow(
        /FORGE_APP_ID: belongs to the Cloud edition/,
      );
      expect(() => loadConfig({ JIRA_DC_CLIENT_ID: 'x' })).toThrow(
        /JIRA_DC_CLIENT_ID: is only read with EDITION=datacenter/,
      );
      expect(() =>
        loadConfig({
          ...dc,
          NODE_ENV: 'production',
          BASE_URL: 'https://cal.example.com',
          FEED_TOKEN_SECRET: 'x'.repeat(40),
          JIRA_DC_BASE_URL: 'http://jira.example.com',
        }),
      ).toThrow(/JIRA_DC_BASE_URL: must be https in production/);
    });
  });

  describe('live calendars in Google', () => {
    const key = Buffer.alloc(32, 3).toString('hex');
    const google = {
      GOOGLE_OAUTH_CLIENT_ID: '123-abc.apps.googleusercontent.com',
      GOOGLE_OAUTH_CLIENT_SECRET: 'GOCSPX-secret',
    };

    it('stays hidden without a client, and needs the secret and the token key with one', () => {
      expect(loadConfig({}).google).toBeNull();
      expect(() => loadConfig({ GOOGLE_OAUTH_CLIENT_ID: google.GOOGLE_OAUTH_CLIENT_ID })).toThrow(
        /GOOGLE_OAUTH_CLIENT_SECRET: GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET go together[\s\S]*TOKEN_ENCRYPTION_KEY: is required with GOOGLE_OAUTH_CLIENT_ID/,
      );
      const config = loadConfig({
        ...google,
        TOKEN_ENCRYPTION_KEY: key,
        GOOGLE_API_BASE_URL: 'http://127.0.0.1:9/',
      });
      expect(config.google).toMatchObject({
        clientId: google.GOOGLE_OAUTH_CLIENT_ID,
        oauthBaseUrl: null,
        apiBaseUrl: 'http://127.0.0.1:9',
      });
      expect(config.datacenter).toBeNull();
    });

    it('offers Outlook with its own client, tenant common by default, sealing with the one token key', () => {
      const microsoft = {
        MICROSOFT_OAUTH_CLIENT_ID: '6731de76-14a6-49ae-97bc-6eba6914391e',
        MICROSOFT_OAUTH_CLIENT_SECRET: 'abc8Q~secret.value',
      };
      expect(loadConfig({}).microsoft).toBeNull();
      expect(() => loadConfig({ MICROSOFT_OAUTH_CLIENT_SECRET: 'abc8Q~secret.value' })).toThrow(
        /MICROSOFT_OAUTH_CLIENT_ID: MICROSOFT_OAUTH_CLIENT_ID and MICROSOFT_OAUTH_CLIENT_SECRET go together/,
      );
      expect(() => loadConfig(microsoft)).toThrow(
        /TOKEN_ENCRYPTION_KEY: is required with MICROSOFT_OAUTH_CLIENT_ID/,
      );
      expect(() => loadConfig({ ...microsoft, MICROSOFT_OAUTH_CLIENT_ID: 'not-a-guid' })).toThrow(
        /MICROSOFT_OAUTH_CLIENT_ID: the Application \(client\) ID/,
      );
      const config = loadConfig({
        ...microsoft,
        TOKEN_ENCRYPTION_KEY: key,
        MICROSOFT_GRAPH_BASE_URL: 'http://127.0.0.1:9/v1.0/',
      });
      expect(config.google).toBeNull();
      expect(config.microsoft).toMatchObject({
        clientId: microsoft.MICROSOFT_OAUTH_CLIENT_ID,
        tenant: 'common',
        oauthBaseUrl: null,
        graphBaseUrl: 'http://127.0.0.1:9/v1.0',
      });
      expect(config.microsoft?.tokenEncryptionKey.toString('hex')).toBe(key);
      const both = loadConfig({
        ...microsoft,
        ...google,
        TOKEN_ENCRYPTION_KEY: key,
        MICROSOFT_OAUTH_TENANT: 'contoso.onmicrosoft.com',
      });
      expect(both.microsoft?.tenant).toBe('contoso.onmicrosoft.com');
      expect(liveCalendarTokenKey(both)?.toString('hex')).toBe(key);
      expect(liveCalendarTokenKey({ google: null, microsoft: config.microsoft })?.toString('hex')).toBe(key);
    });
  });
});
