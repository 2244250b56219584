import type { RequestHandler } from 'express';
import { type Logger, scrubSecrets } from '../logger.js';

/** One line per request; the path is scrubbed because feed URLs carry their secret in it. */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : 'debug';
      logger[level](
        {
          method: req.method,
          path: scrubSecrets(req.path),
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      );
    });
    next();
  };
}
