import { hostMatches } from '../../domain/jira-site-url.js';

const DEFAULT_PORTS: Record<string, string> = { 'https:': '443', 'http:': '80' };

/**
 * Whether `url` is on one of the `FORGE_API_HOSTS` entries: `host` (a `*` stands for one label) on
 * https's default port only, `host:port` on that port only, `host:*` on any port.
 */
export function apiHostMatches(url: URL, entries: string[]): boolean {
  const port = url.port || DEFAULT_PORTS[url.protocol];
  return entries.some((entry) => {
    const [host = '', entryPort] = entry.split(':');
    const portOk =
      entryPort === undefined
        ? url.protocol === 'https:' && port === '443'
        : entryPort === '*' || entryPort === port;
    return portOk && hostMatches(url.hostname, [host]);
  });
}
