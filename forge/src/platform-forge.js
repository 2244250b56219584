// @ts-check
// The Forge side of views/assets/platform.js, bundled with @forge/bridge into each Custom UI resource by
// `npm run forge:build`. The pages are the Connect pages; only this adapter differs.
import { invokeRemote } from '@forge/bridge';

/**
 * @param {unknown} raw
 * @returns {unknown}
 */
function parseBody(raw) {
  if (typeof raw !== 'string') return raw ?? null;
  if (raw === '') return null;
  try {
    return /** @type {unknown} */ (JSON.parse(raw));
  } catch {
    return null;
  }
}

/** @type {import('../../views/types/api.js').Platform} */
window.calendarSyncPlatform = {
  name: 'forge',
  available: true,
  async request(method, path, body) {
    const response = await invokeRemote({
      path: `/api/${path}`,
      method,
      headers: { Accept: 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
    return { status: Number(response?.status ?? 0), body: parseBody(response?.body) };
  },
  // Forge draws no flags for Custom UI through this bridge version's API; the page draws its own.
  flag: null,
  // Forge sizes Custom UI frames to their content by itself.
  resize() {},
};
