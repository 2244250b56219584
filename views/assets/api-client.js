// @ts-check
// The pages' calls to the app's JSON API, through whichever host the page runs in.
import { platform, PlatformError } from './platform.js';

/** @typedef {import('../types/api.js').FieldProblem} FieldProblem */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {FieldProblem[]} [fields]
   */
  constructor(status, code, message, fields = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = Array.isArray(fields) ? fields : [];
  }
}

/**
 * Calls the app's JSON API through the page's host (Connect or Forge); throws ApiError with the server's message.
 * @template [T=unknown] the response's JSON, as the caller's declared type says (views/types/api.d.ts)
 * @param {import('../types/api.js').HttpMethod} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
export async function api(method, path, body) {
  /** @type {{ status: number, body: unknown }} */
  let response;
  try {
    response = await platform().request(method, path, body);
  } catch (error) {
    if (error instanceof PlatformError) throw new ApiError(0, String(error.code), error.message);
    throw new ApiError(
      0,
      'network',
      'Calendar Sync could not be reached. Check your connection and try again.',
    );
  }
  const data = response.body;
  if (response.status < 200 || response.status >= 300) {
    const error =
      data && typeof data === 'object' && 'error' in data
        ? /** @type {{ code?: string, message?: string, fields?: FieldProblem[] } | null} */ (data.error)
        : null;
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `Calendar Sync answered with HTTP ${response.status}. Try again in a minute.`,
      error?.fields ?? [],
    );
  }
  return /** @type {T} */ (response.status === 204 ? null : data);
}
