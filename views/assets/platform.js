// @ts-check
/**
 * The host a page runs in. Inside Jira through Connect, `AP` (all.js) gives a context JWT per call and the
 * page calls the server itself; inside Jira through Forge, forge-bridge.js (built from forge/src) sets
 * `window.calendarSyncPlatform`, which reaches the same /api routes through `invokeRemote`. Every page
 * calls the server through `platform().request(...)` and never asks which door it is behind. Served on
 * their own (the Jira Data Center edition, marked by `<meta name="calendar-sync-platform" content="standalone">`),
 * pages call the server with the session cookie and send the session's CSRF token on every write.
 *
 * A platform: { name, available, request(method, path, body) → { status, body }, flag?(opts), resize() }.
 */

/** @typedef {import('../types/api.js').Platform} Platform */
/** @typedef {import('../types/api.js').HttpMethod} HttpMethod */

/** Thrown when the host gives no way to call the server (no AP, no token). */
export class PlatformError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'PlatformError';
    this.code = code;
  }
}

/**
 * A fresh context JWT for each call: AP caches it until shortly before it expires.
 * @param {ConnectHost} AP
 * @returns {Promise<string>}
 */
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

/**
 * @param {Response} response
 * @returns {Promise<unknown>}
 */
async function readJson(response) {
  if (response.status === 204) return null;
  try {
    /** @type {unknown} */
    const parsed = await response.json();
    return parsed;
  } catch {
    return null;
  }
}

/** @returns {Platform} */
function connectPlatform() {
  const AP = window.AP;
  const available = Boolean(AP && AP.context && typeof AP.context.getToken === 'function');
  return {
    name: 'connect',
    available,
    async request(method, path, body) {
      if (!available || !AP) {
        throw new PlatformError(
          'not_in_jira',
          'This page only works inside Jira. Open it from the Jira menu (Apps or Jira settings → Apps).',
        );
      }
      const token = await connectToken(AP);
      /** @type {Record<string, string>} */
      const headers = { Authorization: `JWT ${token}`, Accept: 'application/json' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const response = await fetch(new URL(`../api/${path}`, window.location.href), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        cache: 'no-store',
        credentials: 'omit',
      });
      return { status: response.status, body: await readJson(response) };
    },
    flag: AP?.flag ? createFlag(AP.flag) : null,
    resize() {
      if (AP && typeof AP.resize === 'function') AP.resize();
    },
  };
}

/**
 * @param {{ create(options: FlagOptions): unknown }} flag
 * @returns {(options: FlagOptions) => unknown}
 */
function createFlag(flag) {
  return (options) => flag.create(options);
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Sends the browser to Jira's sign-in, coming back to this page. */
function signIn() {
  const returnTo = window.location.pathname;
  window.location.assign(new URL(`../signin?returnTo=${encodeURIComponent(returnTo)}`, window.location.href));
}

/** @returns {Platform} */
function standalonePlatform() {
  /** @type {Promise<string> | null} */
  let csrf = null;
  const csrfToken = () => {
    csrf ??= fetch(new URL('../api/session', window.location.href), {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'same-origin',
    }).then(async (response) => {
      if (response.status === 401) {
        signIn();
        throw new PlatformError('signin_required', 'Signing you in with Jira…');
      }
      const body = /** @type {{ csrfToken?: unknown } | null} */ (await readJson(response));
      const token = body?.csrfToken;
      if (!response.ok || typeof token !== 'string') {
        csrf = null;
        throw new PlatformError('no_session', 'Calendar Sync could not read your session. Reload the page.');
      }
      return token;
    });
    return csrf;
  };
  /**
   * @param {HttpMethod} method
   * @param {string} path
   * @param {unknown} [body]
   */
  const send = async (method, path, body) => {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (!SAFE_METHODS.has(method)) headers['X-CSRF-Token'] = await csrfToken();
    return fetch(new URL(path, window.location.href), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  };
  for (const button of document.querySelectorAll('[data-calsync-signout]')) {
    button.addEventListener('click', () => {
      void send('POST', '../signout').finally(() =>
        window.location.assign(new URL('../', window.location.href)),
      );
    });
  }
  return {
    name: 'standalone',
    available: true,
    async request(method, path, body) {
      const response = await send(method, `../api/${path}`, body);
      if (response.status === 401) signIn();
      return { status: response.status, body: await readJson(response) };
    },
    flag: null,
    resize() {},
  };
}

/** @type {import('../types/api.js').Platform | null} */
let standalone = null;

/**
 * Forge's adapter when forge-bridge.js installed it, the standalone one on a page served on its own, otherwise Connect's.
 * @returns {import('../types/api.js').Platform}
 */
export function platform() {
  if (window.calendarSyncPlatform) return window.calendarSyncPlatform;
  if (document.querySelector('meta[name="calendar-sync-platform"][content="standalone"]')) {
    standalone ??= standalonePlatform();
    return standalone;
  }
  return connectPlatform();
}
