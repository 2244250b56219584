import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors.js';
import { type Logger, scrubSecrets } from '../logger.js';

export type ErrorBody = {
  error: { code: string; message: string; fields?: { path: string; message: string }[] };
};

export const notFoundHandler: RequestHandler = (_req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: 'No such route' } } satisfies ErrorBody);
};

type HttpError = Error & { status?: number; statusCode?: number; type?: string; expose?: boolean };

/** The one place errors become responses: AppErrors as they say, body-parser errors as 4xx, anything else a logged 500. */
export function errorMiddleware(
  logger: Logger,
  onUnexpected?: (
    error: unknown,
    req: Parameters<RequestHandler>[0],
    res: Parameters<RequestHandler>[1],
  ) => void,
): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof AppError) {
      if (error.status >= 500) logger.error({ err: error, code: error.code }, 'request failed');
      const body: ErrorBody = { error: { code: error.code, message: error.message } };
      if (error.fields.length > 0) body.error.fields = error.fields;
      if (error.retryAfterSeconds !== undefined)
        res.setHeader('Retry-After', String(error.retryAfterSeconds));
      res.status(error.status).json(body);
      return;
    }
    const httpError = error as HttpError;
    const status = httpError.status ?? httpError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && httpError.expose !== false) {
      const code = httpError.type === 'entity.too.large' ? 'payload_too_large' : 'invalid_request';
      const message =
        httpError.type === 'entity.parse.failed' ? 'The request body is not valid JSON' : httpError.message;
      res.status(status).json({ error: { code, message } } satisfies ErrorBody);
      return;
    }
    logger.error({ err: error, method: req.method, path: scrubSecrets(req.path) }, 'unexpected error');
    onUnexpected?.(error, req, res);
    res.status(500).json({
      error: { code: 'internal', message: 'Something went wrong on our side; it has been logged' },
    } satisfies ErrorBody);
  };
}
