import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { apiHostMatches } from '../../src/doors/forge/api-hosts.js';

const FORGE = { FORGE_APP_ID: '00000000-0000-4000-8000-000000000000' };

describe('FORGE_API_HOSTS', () => {
  it.each([
    ['https://api.atlassian.com/ex/jira/x', ['api.atlassian.com'], true],
    ['https://api.atlassian.com:443/ex/jira/x', ['api.atlassian.com'], true],
    ['https://api.atlassian.com:8443/ex/jira/x', ['api.atlassian.com'], false],
    ['http://api.atlassian.com/ex/jira/x', ['api.atlassian.com'], false],
    ['https://api.atlassian.com:8443/ex/jira/x', ['api.atlassian.com:8443'], true],
    ['https://api.atlassian.com/ex/jira/x', ['api.atlassian.com:8443'], false],
    ['https://api.atlassian.com:9443/ex/jira/x', ['api.atlassian.com:8443'], false],
    ['http://127.0.0.1:4001/ex/jira/x', ['127.0.0.1:4001'], true],
    ['http://127.0.0.1:4002/ex/jira/x', ['127.0.0.1:4001'], false],
    ['http://127.0.0.1:4002/ex/jira/x', ['127.0.0.1:*'], true],
    ['https://api.stg.atlassian.com/ex/jira/x', ['api.*.atlassian.com'], true],
    ['https://evil.example:443/ex/jira/x', ['api.atlassian.com', '127.0.0.1:*'], false],
  ])('%s on %j: %s', (url, entries, expected) => {
    expect(apiHostMatches(new URL(url), entries)).toBe(expected);
  });

  it('takes host:port and host:* entries and names a malformed one', () => {
    expect(
      loadConfig({ ...FORGE, FORGE_API_HOSTS: 'api.atlassian.com, api.atlassian.com:8443,127.0.0.1:*' }).forge
        ?.apiHosts,
    ).toEqual(['api.atlassian.com', 'api.atlassian.com:8443', '127.0.0.1:*']);
    for (const bad of [
      'api.atlassian.com:',
      'api.atlassian.com:0',
      'api.atlassian.com:123456',
      'https://api.atlassian.com',
    ])
      expect(() => loadConfig({ ...FORGE, FORGE_API_HOSTS: bad })).toThrow(
        /FORGE_API_HOSTS\.0: API hosts are host names/,
      );
  });
});
