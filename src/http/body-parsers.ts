import express, { type RequestHandler } from 'express';

/** JSON bodies for the methods that carry one: a body sent with a GET or HEAD is never read. */
export function jsonBody(limit: string): RequestHandler {
  const parse = express.json({ limit });
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') next();
    else parse(req, res, next);
  };
}
