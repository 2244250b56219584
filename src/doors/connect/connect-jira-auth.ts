import { createQueryStringHash, encodeSymmetric, SymmetricAlgorithm } from 'atlassian-jwt';
import type { JiraAuth } from '../../jira/jira-auth.js';

const JWT_LIFETIME_SECONDS = 180;

/** Connect: every request carries a fresh HS256 JWT under the site's shared secret, bound to it by qsh. */
export function connectJiraAuth(
  site: { baseUrl: string; sharedSecret: string },
  options: { appKey: string; now?: () => number },
): JiraAuth {
  const base = new URL(site.baseUrl);
  const apiBaseUrl = `${base.origin}${base.pathname}`.replace(/\/+$/, '');
  const basePath = base.pathname.replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  return {
    apiBaseUrl,
    authorization({ method, path, query }) {
      const iat = Math.floor(now() / 1000);
      const qsh = createQueryStringHash({ method, pathname: `${basePath}${path}`, query }, false, apiBaseUrl);
      const token = encodeSymmetric(
        { iss: options.appKey, iat, exp: iat + JWT_LIFETIME_SECONDS, qsh },
        site.sharedSecret,
        SymmetricAlgorithm.HS256,
      );
      return `JWT ${token}`;
    },
  };
}
