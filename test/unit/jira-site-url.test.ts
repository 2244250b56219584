import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { normaliseJiraBaseUrl } from '../../src/domain/jira-site-url.js';

const production = { hostPatterns: loadConfig({}).jiraHosts, allowLoopbackHttp: false };
const local = {
  hostPatterns: ['127.0.0.1', 'localhost', ...production.hostPatterns],
  allowLoopbackHttp: true,
};

describe('normaliseJiraBaseUrl', () => {
  it.each([
    ['https://acme.atlassian.net', 'https://acme.atlassian.net'],
    ['https://acme.atlassian.net/', 'https://acme.atlassian.net'],
    ['https://ACME.atlassian.net:443', 'https://acme.atlassian.net'],
    ['https://acme.jira.com/jira/', 'https://acme.jira.com/jira'],
  ])('stores %s as %s with the production JIRA_HOSTS', (raw, stored) => {
    expect(normaliseJiraBaseUrl(raw, production)).toBe(stored);
  });

  it.each([
    'http://acme.atlassian.net',
    'https://acme.atlassian.net:5432',
    'https://acme.atlassian.net:80',
    'http://acme.atlassian.net:443',
    'https://user:pass@acme.atlassian.net',
    'https://acme.atlassian.net/?x=1',
    'https://acme.atlassian.net/#x',
    'ftp://acme.atlassian.net',
    'https://atlassian.net',
    'https://a.b.atlassian.net',
    'https://acme.atlassian.net.evil.example',
    'http://127.0.0.1:8080',
    'not a url',
  ])('refuses %s with the production JIRA_HOSTS', (raw) => {
    expect(normaliseJiraBaseUrl(raw, production)).toBeNull();
  });

  it('allows http and any port on loopback hosts only when the policy says so', () => {
    expect(normaliseJiraBaseUrl('http://127.0.0.1:8080/', local)).toBe('http://127.0.0.1:8080');
    expect(normaliseJiraBaseUrl('http://localhost:3001', local)).toBe('http://localhost:3001');
    expect(normaliseJiraBaseUrl('http://acme.atlassian.net', local)).toBeNull();
    expect(normaliseJiraBaseUrl('https://acme.atlassian.net:5432', local)).toBeNull();
    expect(normaliseJiraBaseUrl('http://127.0.0.1:8080', { ...local, allowLoopbackHttp: false })).toBeNull();
  });
});
