import { type NextFunction, type Request, type Response, Router } from 'express';
import type { Logger } from '../logger.js';
import { FeedLookupUnavailable, type FeedServingService } from '../services/feed-serving-service.js';
import type { FailureLimiter } from './failure-limiter.js';

const RETRY_AFTER_OUTAGE_SECONDS = 30;

/** Whether the client's validators match; If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2). */
function notModified(req: Request, etag: string, lastModified: Date): boolean {
  const ifNoneMatch = req.get('if-none-match');
  if (ifNoneMatch !== undefined) {
    return (
      ifNoneMatch.trim() === '*' ||
      ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
    );
  }
  const ifModifiedSince = req.get('if-modified-since');
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}

/** The gzip body is its own representation and gets its own strong validator (RFC 9110 8.8.3). */
export function gzipEtag(etag: string): string {
  return `${etag.slice(0, -1)}-gzip"`;
}

function acceptsGzip(req: Request): boolean {
  const header = req.get('accept-encoding');
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * The public, unauthenticated feed URLs calendar apps poll. Unknown or revoked tokens get a bare 404
 * that does not say which; the bytes served were rendered at sync time.
 */
export function feedServingRouter(deps: {
  serving: FeedServingService;
  limiter: FailureLimiter;
  logger: Logger;
}): Router {
  const router = Router();

  /** Only failures are limited: a guesser over budget gets 429, and never a subscriber with a valid URL. */
  const refuse = (req: Request, res: Response) => {
    const retryAfterMs = deps.limiter.retryAfterMs(req);
    deps.limiter.recordFailure(req);
    if (retryAfterMs > 0) {
      res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      res.status(429).end();
      return;
    }
    res.status(404).end();
  };

  const serve = async (req: Request, res: Response) => {
    const token = (req.params['token'] ?? '').replace(/\.ics$/, '');
    const found = await deps.serving.find(token);
    if (!found) {
      refuse(req, res);
      return;
    }
    const { meta, subscription } = found;
    const gzip = acceptsGzip(req);
    const etag = gzip ? gzipEtag(meta.etag) : meta.etag;
    res.setHeader('Content-Type', 'text/calendar; charset=utf-8');
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', meta.lastModified.toUTCString());
    res.setHeader('Cache-Control', 'private, max-age=300');
    res.setHeader('Vary', 'Accept-Encoding');
    deps.serving.recordFetch(subscription, req.get('user-agent') ?? null);
    if (notModified(req, etag, meta.lastModified)) {
      res.status(304).end();
      return;
    }
    const bytes = await deps.serving.bytes(found);
    if (!bytes) {
      res.removeHeader('ETag');
      res.removeHeader('Last-Modified');
      res.status(404).end();
      return;
    }
    const body = gzip ? bytes.bodyGzip : bytes.body;
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Content-Length', String(body.length));
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  };

  router.get('/ical/:token', (req, res, next) => {
    serve(req, res).catch((error: unknown) => {
      if (!(error instanceof FeedLookupUnavailable) || res.headersSent) {
        next(error);
        return;
      }
      // The service has logged the outage; a calendar client retries later.
      for (const header of ['ETag', 'Last-Modified', 'Content-Type', 'Cache-Control'])
        res.removeHeader(header);
      res.setHeader('Retry-After', String(RETRY_AFTER_OUTAGE_SECONDS));
      res.status(503).end();
    });
  });
  // Express fails to decode a token such as %80 with a 400 of its own; to a guesser it is one more unknown token.
  router.use('/ical', (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof URIError)) {
      next(error);
      return;
    }
    refuse(req, res);
  });
  return router;
}
