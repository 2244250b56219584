/** Host names that may serve a Jira site over plain http, and on any port, outside production. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export type JiraSitePolicy = {
  /** Host patterns from JIRA_HOSTS; `*` stands for one DNS label. */
  hostPatterns: string[];
  /** Lets http://127.0.0.1:<port> and http://localhost:<port> sites install: local fakes, never production. */
  allowLoopbackHttp: boolean;
};

export function hostMatches(host: string, patterns: string[]): boolean {
  return patterns.some((pattern) => {
    const regex = new RegExp(
      `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]+')}$`,
      'i',
    );
    return regex.test(host);
  });
}

/**
 * The site's base URL in the one form the app stores and calls (`https://host/path`, no default port, no
 * trailing slash), or null when a site at that URL may not install the app.
 */
export function normaliseJiraBaseUrl(raw: string, policy: JiraSitePolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  const loopback = policy.allowLoopbackHttp && LOOPBACK_HOSTS.has(url.hostname);
  if (
    loopback
      ? url.protocol !== 'http:' && url.protocol !== 'https:'
      : url.protocol !== 'https:' || url.port !== ''
  ) {
    return null;
  }
  if (!hostMatches(url.hostname, policy.hostPatterns)) return null;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
