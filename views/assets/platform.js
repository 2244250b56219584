/**
 * The host a page runs in. Inside Jira through Connect, `AP` (all.js) gives a context JWT per call and the
 * page calls the server itself; inside Jira through Forge, forge-bridge.js (built from forge/src) sets
 * `window.calendarSyncPlatform`, which reaches the same /api routes through `invokeRemote`. Every page
 * calls the server through `platform().request(...)` and never asks which door it is behind.
 *
 * A platform: { name, available, request(method, path, body) → { status, body }, flag?(opts), resize() }.
 */

/** Thrown when the host gives no way to call the server (no AP, no token). */
export class PlatformError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'PlatformError';
    this.code = code;
  }
}

/** A fresh context JWT for each call: AP caches it until shortly before it expires. */
function connectToken(AP) {
  return new Promise((resolve, reject) => {
    const noToken = () =>
      reject(
        new PlatformError(
          'no_token',
          'Jira did not hand this page a sign-in token. Reload the page; if it keeps happening, sign in to Jira again.',
        ),
      );
    const timer = setTimeout(noToken, 15_000);
    AP.context.getToken((token) => {
      clearTimeout(timer);
      if (typeof token === 'string' && token.length > 0) resolve(token);
      else noToken();
    });
  });
}

async function readJson(response) {
  if (response.status === 204) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function connectPlatform() {
  const AP = window.AP;
  const available = Boolean(AP && AP.context && typeof AP.context.getToken === 'function');
  return {
    name: 'connect',
    available,
    async request(method, path, body) {
      if (!available) {
        throw new PlatformError(
          'not_in_jira',
          'This page only works inside Jira. Open it from the Jira menu (Apps or Jira settings → Apps).',
        );
      }
      const token = await connectToken(AP);
      const headers = { Authorization: `JWT ${token}`, Accept: 'application/json' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const response = await fetch(new URL(`../api/${path}`, window.location.href), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
      return { status: response.status, body: await readJson(response) };
    },
    flag: AP && AP.flag && typeof AP.flag.create === 'function' ? (options) => AP.flag.create(options) : null,
    resize() {
      if (AP && typeof AP.resize === 'function') AP.resize();
    },
  };
}

/** Forge's adapter when forge-bridge.js installed it, otherwise Connect's. */
export function platform() {
  return window.calendarSyncPlatform ?? connectPlatform();
}
