import { createHash, timingSafeEqual } from 'node:crypto';
import { type RequestHandler, Router } from 'express';
import type { Metrics } from '../services/metrics.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * GET /metrics for Prometheus, only with `Authorization: Bearer <METRICS_TOKEN>`; without a configured
 * token the route does not exist. Either way a stranger gets a bare 404, not a hint that it is there.
 */
export function metricsRouter(deps: { metrics: Metrics; token: string | null }): Router {
  const router = Router();
  const expected = deps.token ? digest(deps.token) : null;
  router.get('/metrics', (req, res, next) => {
    const presented = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (!expected || !presented || !timingSafeEqual(digest(presented), expected)) {
      res.status(404).end();
      return;
    }
    deps.metrics.render().then((text) => {
      res.setHeader('Cache-Control', 'no-store');
      res.type(deps.metrics.contentType).send(text);
    }, next);
  });
  return router;
}

/** Counts every answer on the feed URLs by status, whatever answered it (limiter, 404, 304, 200). */
export function countFeedRequests(metrics: Metrics): RequestHandler {
  return (_req, res, next) => {
    res.on('finish', () => metrics.recordFeedRequest(res.statusCode));
    next();
  };
}
