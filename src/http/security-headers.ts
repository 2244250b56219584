import type { RequestHandler } from 'express';

const JIRA_FRAME_ANCESTORS = "'self' https://*.atlassian.net https://*.jira.com https://*.jira-dev.com";

/** A year: the least Atlassian Marketplace's security requirements accept. */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Pages may only be framed by Jira (Cloud editions); everything else is never framed at all. With `https`
 * (BASE_URL is https) every answer tells browsers to use TLS only, whatever proxy terminates it.
 */
export function securityHeaders(
  options: { extraFrameAncestors?: string[]; standalone?: boolean; https?: boolean } = {},
): RequestHandler {
  const ancestors = [JIRA_FRAME_ANCESTORS, ...(options.extraFrameAncestors ?? [])].join(' ');
  return (req, res, next) => {
    if (options.https) res.setHeader('Strict-Transport-Security', HSTS);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // Standalone pages (the Data Center edition) are never framed, not even by Jira.
    const framed = !options.standalone && req.path.startsWith('/pages/');
    res.setHeader('Content-Security-Policy', `frame-ancestors ${framed ? ancestors : "'none'"}`);
    if (!framed) res.setHeader('X-Frame-Options', 'DENY');
    next();
  };
}

/** API answers carry live feed URLs and personal data: no browser, proxy or CDN may keep a copy. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
