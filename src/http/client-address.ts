import type { Request } from 'express';

/**
 * The address of the client that sent the request, through the proxies `TRUST_PROXY` says to trust,
 * counted from the socket inwards, so a forged X-Forwarded-For entry to the left of them is never read.
 * `true` counts as one trusted proxy: Express would take the leftmost entry, which the client writes.
 */
export function clientAddress(req: Request, trustProxy: boolean | number | string): string {
  const socketAddress = req.socket.remoteAddress ?? 'unknown';
  if (trustProxy !== true) return req.ip ?? socketAddress;
  const forwarded = (req.get('x-forwarded-for') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return forwarded.at(-1) ?? socketAddress;
}
