import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives a working local default with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ env: 'development', port: 3000, baseUrl: 'http://localhost:3000', databaseUrl: null, appKey: 'calendar-sync' });
  });

  it('lists every problem at once, by variable name', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://nope', LOG_LEVEL: 'loud', FEED_TOKEN_SECRET: 'short' });
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
    const config = loadConfig({ NODE_ENV: 'production', BASE_URL: 'https://app.example.com/', FEED_TOKEN_SECRET: 'x'.repeat(40) });
    expect(config.baseUrl).toBe('https://app.example.com');
  });

  it('treats empty variables as unset and parses host lists', () => {
    const config = loadConfig({ DATABASE_URL: '', JIRA_HOSTS: 'a.example.com, *.atlassian.net' });
    expect(config.databaseUrl).toBeNull();
    expect(config.jiraHosts).toEqual(['a.example.com', '*.atlassian.net']);
  });
});
