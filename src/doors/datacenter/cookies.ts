import type { Request } from 'express';

/** The request's cookies by name (first one wins, as browsers send the most specific first). */
export function readCookies(req: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

export type CookieOptions = {
  secure: boolean;
  path: string;
  maxAgeSeconds: number | null;
  sameSite: 'Lax' | 'Strict';
};

/** A Set-Cookie value that is always HttpOnly: no page script ever reads the app's cookies. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    'HttpOnly',
    `SameSite=${options.sameSite}`,
    ...(options.secure ? ['Secure'] : []),
    ...(options.maxAgeSeconds === null ? [] : [`Max-Age=${options.maxAgeSeconds}`]),
  ].join('; ');
}
