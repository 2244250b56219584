import type { Request, RequestHandler } from 'express';

/**
 * manifest.yml ends each regional baseUrl with `/region/<key>`, and Forge puts the baseUrl it chose for
 * the installation in front of every path it calls; an invocation without the segment came through an
 * unsegmented baseUrl, which counts as `default`.
 */
const REGION_PREFIX = /^\/region\/([A-Za-z]{2}|default)(?=\/(?:forge|api)\/)/;

/** The region whose baseUrl Forge sent this request to. */
export function routedRegion(req: Request): string {
  return REGION_PREFIX.exec(req.originalUrl)?.[1] ?? 'default';
}

/** Serves the Forge routes and /api under `/region/<key>` too; the door checks the key. */
export function stripRegionPrefix(): RequestHandler {
  return (req, _res, next) => {
    const match = REGION_PREFIX.exec(req.url);
    if (match) req.url = req.url.slice(match[0].length);
    next();
  };
}
